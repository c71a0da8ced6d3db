using AeOnnx.Imaging;
using AeOnnx.Models;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Reliability;

/// <summary>
/// Resource limits: documented defaults, configurable through <see cref="AutoencoderOptions.ImageLimits"/>,
/// and decompression bombs refused from the header before the pixels are allocated: fast, with
/// allocations measured on the calling thread (the converter decodes synchronously on it).
/// </summary>
public sealed class ImageLimitsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Defaults_are_64_mib_and_40_megapixels()
    {
        Assert.Equal(64L * 1024 * 1024, ImageLimits.Default.MaxFileBytes);
        Assert.Equal(40_000_000L, ImageLimits.Default.MaxPixels);
        Assert.Equal(ImageLimits.Default, new AutoencoderOptions().ImageLimits);
    }

    public static TheoryData<string> Bombs => new() { "png", "gif", "jpeg", "bmp" };

    [Theory]
    [MemberData(nameof(Bombs))]
    public void Bomb_is_refused_from_its_header_without_allocating_its_pixels(string format)
    {
        var bytes = format switch
        {
            "png" => BadImageCorpus.PngWith(100_000, 100_000, 8, 2),
            "gif" => BadImageCorpus.Gif(65535, 65535, 1, 90),
            "jpeg" => BadImageCorpus.JpegBomb(),
            _ => BadImageCorpus.BmpBomb(),
        };
        var path = _temp.File("bomb." + format);
        File.WriteAllBytes(path, bytes);
        var converter = Converter(ImageLimits.Default);
        Assert.Throws<ImageLoadException>(() => converter.LoadTensor(path)); // warm up (JIT, decoder tables)

        // Refused from the header: under 1 MiB allocated means no pixel buffer and no decoding
        // (speed follows from that; a time bound would only measure how loaded the machine is).
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageLoadException>(() => converter.LoadTensor(path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(ImageLoadError.TooLarge, error.Error);
        Assert.Contains("exceeds the limit of 40000000 pixels", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes refusing a {format} bomb");
    }

    [Fact]
    public void Pixel_limit_is_configurable()
    {
        var path = _temp.File("ok.png");
        File.WriteAllBytes(path, BadImageCorpus.GoodPng(1));
        Assert.Equal(784, Converter(new ImageLimits { MaxPixels = 784 }).LoadTensor(path).Length);
        var error = Assert.Throws<ImageLoadException>(() => Converter(new ImageLimits { MaxPixels = 783 }).LoadTensor(path));
        Assert.Equal(ImageLoadError.TooLarge, error.Error);
        Assert.Contains("28x28 pixels exceeds the limit of 783 pixels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_size_limit_is_configurable_and_checked_before_reading()
    {
        var path = _temp.File("ok.png");
        var bytes = BadImageCorpus.GoodPng(2);
        File.WriteAllBytes(path, bytes);
        Assert.Equal(784, Converter(new ImageLimits { MaxFileBytes = bytes.Length }).LoadTensor(path).Length);
        var error = Assert.Throws<ImageLoadException>(() => Converter(new ImageLimits { MaxFileBytes = bytes.Length - 1 }).LoadTensor(path));
        Assert.Equal(ImageLoadError.TooLarge, error.Error);
        Assert.Contains($"file is {bytes.Length} bytes, the limit is {bytes.Length - 1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Endless_stream_is_cut_at_the_byte_limit()
    {
        var converter = Converter(new ImageLimits { MaxFileBytes = 1 << 20 });
        using var endless = new EndlessStream();
        var error = Assert.Throws<ImageLoadException>(() => converter.LoadTensor(endless, "endless"));
        Assert.Equal(ImageLoadError.TooLarge, error.Error);
        Assert.True(endless.Served <= (1 << 20) + (1 << 17), $"read {endless.Served} bytes");
    }

    [Fact]
    public void Limits_reach_the_model_through_its_options()
    {
        var limits = new ImageLimits { MaxPixels = 100, MaxFileBytes = 1000 };
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1, ImageLimits = limits });
        Assert.Same(limits, model.Images.Limits);
        var path = _temp.File("ok.png");
        File.WriteAllBytes(path, BadImageCorpus.GoodPng(3));
        Assert.Equal(ImageLoadError.TooLarge, Assert.Throws<ImageLoadException>(() => model.Encode(path)).Error);
    }

    private static ImageConverter Converter(ImageLimits limits) => new(
        new AeOnnx.Models.ImageSpec { Channels = 1, Height = 28, Width = 28, Color = ImageColor.Gray, Scale = 255f, Mean = [0f], Std = [1f], Resize = ResizeMethod.Bilinear, },
        limits);

    /// <summary>A non-seekable stream of PNG-looking bytes that never ends.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(0x42);
            Served += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
