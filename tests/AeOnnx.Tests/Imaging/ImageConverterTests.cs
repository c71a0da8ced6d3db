using System.Buffers.Binary;
using AeOnnx.Imaging;
using AeOnnx.Models;
using AeOnnx.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Tests.Imaging;

/// <summary>Preprocessing checked against numbers computed here independently of the converter.</summary>
public sealed class ImageConverterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ImageSpec Gray(int size = 4, float mean = 0f, float std = 1f, float scale = 255f, ResizeMethod resize = ResizeMethod.Bilinear) => new()
    {
        Channels = 1,
        Height = size,
        Width = size,
        Color = ImageColor.Gray,
        Scale = scale,
        Mean = [mean],
        Std = [std],
        Resize = resize,
    };

    private static ImageSpec Rgb(int size = 4) => new()
    {
        Channels = 3,
        Height = size,
        Width = size,
        Color = ImageColor.Rgb,
        Scale = 255f,
        Mean = [0.5f, 0.25f, 0f],
        Std = [0.5f, 2f, 1f],
        Resize = ResizeMethod.Nearest,
    };

    // Independent of the library: the contract's integer rule written out again.
    private static int Bt601(int r, int g, int b) => ((r * 19595) + (g * 38470) + (b * 7471) + 32768) >> 16;

    private static Rgb24 PixelAt(int x, int y) => new((byte)((x * 61) + (y * 17)), (byte)(255 - (x * 29) - (y * 5)), (byte)((x * y * 13) + 7));

    [Fact]
    public void Gray_png_becomes_scaled_normalized_floats()
    {
        var path = _temp.File("gray.png");
        using (var image = new Image<L8>(4, 4))
        {
            for (var y = 0; y < 4; y++)
            {
                for (var x = 0; x < 4; x++)
                {
                    image[x, y] = new L8((byte)((y * 4 + x) * 17));
                }
            }

            image.SaveAsPng(path);
        }

        var converter = new ImageConverter(Gray(mean: 0.5f, std: 0.25f));
        var tensor = converter.LoadTensor(path);
        Assert.Equal(16, tensor.Length);
        for (var i = 0; i < 16; i++)
        {
            var p = (float)(i * 17);
            Assert.Equal(((p / 255f) - 0.5f) / 0.25f, tensor[i]);
        }
    }

    [Fact]
    public void Rgb_png_becomes_gray_by_the_bt601_integer_rule()
    {
        var path = _temp.File("rgb.png");
        using (var image = new Image<Rgb24>(4, 4))
        {
            for (var y = 0; y < 4; y++)
            {
                for (var x = 0; x < 4; x++)
                {
                    image[x, y] = PixelAt(x, y);
                }
            }

            image.SaveAsPng(path);
        }

        var tensor = new ImageConverter(Gray()).LoadTensor(path);
        var differsFromBt709 = false;
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                var p = PixelAt(x, y);
                var gray = Bt601(p.R, p.G, p.B);
                Assert.Equal(gray / 255f, tensor[(y * 4) + x]);
                differsFromBt709 |= gray != (int)Math.Round((0.2126 * p.R) + (0.7152 * p.G) + (0.0722 * p.B));
            }
        }

        Assert.True(differsFromBt709, "the test pixels must tell BT.601 from BT.709");
    }

    [Fact]
    public void Alpha_is_dropped_not_composited()
    {
        var path = _temp.File("rgba.png");
        using (var image = new Image<Rgba32>(4, 4, new Rgba32(200, 100, 50, 0)))
        {
            image.SaveAsPng(path, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
        }

        var gray = new ImageConverter(Gray()).LoadTensor(path);
        Assert.All(gray, v => Assert.Equal(Bt601(200, 100, 50) / 255f, v));
        var rgb = new ImageConverter(Rgb()).LoadTensor(path);
        Assert.Equal(((200 / 255f) - 0.5f) / 0.5f, rgb[0]);
        Assert.Equal(((100 / 255f) - 0.25f) / 2f, rgb[16]);
        Assert.Equal(50 / 255f, rgb[32]);
    }

    [Fact]
    public void Rgb_model_lays_out_channels_planar_nchw()
    {
        using var image = new Image<Rgb24>(4, 4);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                image[x, y] = PixelAt(x, y);
            }
        }

        var tensor = new ImageConverter(Rgb()).ToTensor(TestImages.ToImageData(image));
        Assert.Equal(48, tensor.Length);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                var p = PixelAt(x, y);
                var i = (y * 4) + x;
                Assert.Equal(((p.R / 255f) - 0.5f) / 0.5f, tensor[i]);
                Assert.Equal(((p.G / 255f) - 0.25f) / 2f, tensor[16 + i]);
                Assert.Equal((p.B / 255f) - 0f, tensor[32 + i]);
            }
        }
    }

    [Fact]
    public void Gray_source_repeats_into_three_channels()
    {
        using var image = new Image<L8>(4, 4, new L8(77));
        var tensor = new ImageConverter(Rgb()).ToTensor(TestImages.ToImageData(image));
        Assert.Equal(((77 / 255f) - 0.5f) / 0.5f, tensor[0]);
        Assert.Equal(((77 / 255f) - 0.25f) / 2f, tensor[16]);
        Assert.Equal(77 / 255f, tensor[32]);
    }

    [Fact]
    public void Sixteen_bit_gray_png_is_reduced_by_shifting()
    {
        var path = _temp.File("gray16.png");
        ushort[] values = [0, 255, 256, 0x7FFF, 0x80FF, 0xFFFF, 1000, 40000];
        using (var image = new Image<L16>(4, 2))
        {
            for (var i = 0; i < values.Length; i++)
            {
                image[i % 4, i / 4] = new L16(values[i]);
            }

            image.SaveAsPng(path, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Grayscale });
        }

        var spec = Gray() with { Height = 2, Width = 4 };
        var tensor = new ImageConverter(spec).LoadTensor(path);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal((values[i] >> 8) / 255f, tensor[i]);
        }
    }

    [Fact]
    public void Sixteen_bit_rgb_png_is_reduced_by_shifting_then_grayed()
    {
        var path = _temp.File("rgb16.png");
        using (var image = new Image<Rgb48>(4, 4, new Rgb48(0x12FF, 0xAB80, 0x3401)))
        {
            image.SaveAsPng(path, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });
        }

        var tensor = new ImageConverter(Gray()).LoadTensor(path);
        Assert.All(tensor, v => Assert.Equal(Bt601(0x12, 0xAB, 0x34) / 255f, v));
    }

    [Fact]
    public void Resizes_only_when_the_size_differs()
    {
        using var constant = new Image<L8>(13, 9, new L8(90));
        var resized = new ImageConverter(Gray()).ToTensor(TestImages.ToImageData(constant));
        Assert.Equal(16, resized.Length);
        Assert.All(resized, v => Assert.Equal(90 / 255f, v));

        var model = new ImageConverter(Gray(resize: ResizeMethod.Nearest)).ToModelImage(TestImages.ToImageData(constant));
        Assert.Equal((4, 4), (model.Width, model.Height));
        Assert.Equal(ImagePixelFormat.Gray8, model.Format);
        Assert.All(model.Pixels.ToArray(), v => Assert.Equal(90, v));
    }

    [Fact]
    public void Nearest_downscale_by_two_picks_one_pixel_per_block()
    {
        using var image = new Image<L8>(8, 8);
        for (var y = 0; y < 8; y++)
        {
            for (var x = 0; x < 8; x++)
            {
                // Constant 2x2 blocks: any sane nearest-neighbour choice reads the block's value.
                image[x, y] = new L8((byte)(((y / 2) * 4) + (x / 2)));
            }
        }

        var tensor = new ImageConverter(Gray(resize: ResizeMethod.Nearest, scale: 1f)).ToTensor(TestImages.ToImageData(image));
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (float)i), tensor);
    }

    [Fact]
    public void Post_processing_denormalizes_clamps_and_rounds_half_to_even()
    {
        var converter = new ImageConverter(Gray(size: 2, scale: 1f));
        using var image = TestImages.ToImageSharp<L8>(converter.ToImage([126.5f, 127.5f, -3f, 300.7f]));
        Assert.Equal(126, image[0, 0].PackedValue);
        Assert.Equal(128, image[1, 0].PackedValue);
        Assert.Equal(0, image[0, 1].PackedValue);
        Assert.Equal(255, image[1, 1].PackedValue);

        using var nan = TestImages.ToImageSharp<L8>(converter.ToImage([float.NaN, 0.4999f, 0.5f, 1.5f]));
        Assert.Equal(0, nan[0, 0].PackedValue);
        Assert.Equal(0, nan[1, 0].PackedValue);
        Assert.Equal(0, nan[0, 1].PackedValue);
        Assert.Equal(2, nan[1, 1].PackedValue);
    }

    [Fact]
    public void Round_trip_through_tensor_and_png_is_exact()
    {
        using var rgb = new Image<Rgb24>(4, 4);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                rgb[x, y] = PixelAt(x, y);
            }
        }

        var converter = new ImageConverter(Rgb());
        var tensor = converter.ToTensor(TestImages.ToImageData(rgb));
        var path = _temp.File("round.png");
        converter.SavePng(tensor, path);
        using var back = Image.Load<Rgb24>(path);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                Assert.Equal(rgb[x, y], back[x, y]);
            }
        }

        var gray = new ImageConverter(Gray(mean: 0.3f, std: 0.7f));
        using var source = new Image<L8>(4, 4);
        for (var i = 0; i < 16; i++)
        {
            source[i % 4, i / 4] = new L8((byte)(i * 16 + 3));
        }

        using var grayBack = TestImages.ToImageSharp<L8>(gray.ToImage(gray.ToTensor(TestImages.ToImageData(source))));
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(source[i % 4, i / 4], grayBack[i % 4, i / 4]);
        }
    }

    [Fact]
    public void Gif_uses_the_first_frame_only()
    {
        var path = _temp.File("two-frames.gif");
        using (var gif = new Image<Rgba32>(4, 4, new Rgba32(0, 0, 0, 255)))
        {
            using var white = new Image<Rgba32>(4, 4, new Rgba32(255, 255, 255, 255));
            gif.Frames.AddFrame(white.Frames.RootFrame);
            gif.SaveAsGif(path);
        }

        using (var all = Image.Load(path))
        {
            Assert.Equal(2, all.Frames.Count);
        }

        var converter = new ImageConverter(Gray());
        // The decoded image is the first frame: black, not the white second one.
        var decoded = converter.LoadImage(path);
        Assert.Equal((4, 4, ImagePixelFormat.Rgba32), (decoded.Width, decoded.Height, decoded.Format));
        Assert.All(decoded.Pixels.ToArray().Chunk(4), p => Assert.Equal([0, 0, 0], p[..3]));

        Assert.All(converter.LoadTensor(path), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Bmp_and_jpeg_decode()
    {
        using var image = new Image<Rgb24>(4, 4, new Rgb24(10, 200, 30));
        image.SaveAsBmp(_temp.File("a.bmp"));
        image.SaveAsJpeg(_temp.File("a.jpg"));
        var converter = new ImageConverter(Gray());
        Assert.All(converter.LoadTensor(_temp.File("a.bmp")), v => Assert.Equal(Bt601(10, 200, 30) / 255f, v));
        Assert.All(converter.LoadTensor(_temp.File("a.jpg")), v => Assert.InRange(v * 255f, Bt601(10, 200, 30) - 4, Bt601(10, 200, 30) + 4));
    }

    [Fact]
    public void Streams_work_even_when_not_seekable()
    {
        using var image = new Image<L8>(4, 4, new L8(9));
        using var memory = new MemoryStream();
        image.SaveAsPng(memory);
        using var forwardOnly = new ForwardOnlyStream(memory.ToArray());
        var tensor = new ImageConverter(Gray()).LoadTensor(forwardOnly, "upload.png");
        Assert.All(tensor, v => Assert.Equal(9 / 255f, v));
    }

    [Fact]
    public void Missing_file_is_not_found()
    {
        var path = _temp.File("nope.png");
        var error = Assert.Throws<ImageLoadException>(() => new ImageConverter(Gray()).LoadTensor(path));
        Assert.Equal(ImageLoadError.NotFound, error.Error);
        Assert.Equal(path, error.Path);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_is_unreadable()
    {
        var error = Assert.Throws<ImageLoadException>(() => new ImageConverter(Gray()).LoadTensor(_temp.Path));
        Assert.Equal(ImageLoadError.Unreadable, error.Error);
        Assert.Contains(_temp.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_and_formats_outside_the_product_are_unsupported()
    {
        var text = _temp.File("notes.png");
        File.WriteAllText(text, "hello, not an image");
        var converter = new ImageConverter(Gray());
        var error = Assert.Throws<ImageLoadException>(() => converter.LoadTensor(text));
        Assert.Equal(ImageLoadError.UnsupportedFormat, error.Error);
        Assert.Contains("notes.png", error.Message, StringComparison.Ordinal);
        Assert.Contains("unsupported format", error.Message, StringComparison.Ordinal);

        // ImageSharp itself reads TIFF, the product does not.
        var tiff = _temp.File("a.tiff");
        using (var image = new Image<L8>(4, 4))
        {
            image.SaveAsTiff(tiff);
        }

        Assert.Equal(ImageLoadError.UnsupportedFormat, Assert.Throws<ImageLoadException>(() => converter.LoadTensor(tiff)).Error);
    }

    [Fact]
    public void Truncated_png_is_corrupt()
    {
        var path = _temp.File("cut.png");
        using (var image = new Image<Rgb24>(64, 64))
        {
            for (var i = 0; i < 64 * 64; i++)
            {
                image[i % 64, i / 64] = PixelAt(i % 7, i % 11);
            }

            using var memory = new MemoryStream();
            image.SaveAsPng(memory);
            File.WriteAllBytes(path, memory.ToArray()[..(int)(memory.Length / 2)]);
        }

        var error = Assert.Throws<ImageLoadException>(() => new ImageConverter(Gray()).LoadTensor(path));
        Assert.Equal(ImageLoadError.Corrupt, error.Error);
        Assert.Contains("cut.png", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_over_the_byte_limit_is_too_large()
    {
        var path = _temp.File("big.png");
        using (var image = new Image<L8>(4, 4))
        {
            image.SaveAsPng(path);
        }

        var converter = new ImageConverter(Gray(), new ImageLimits { MaxFileBytes = 10 });
        var error = Assert.Throws<ImageLoadException>(() => converter.LoadTensor(path));
        Assert.Equal(ImageLoadError.TooLarge, error.Error);
        Assert.Contains("the limit is 10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_over_the_pixel_limit_is_refused_before_decoding()
    {
        // A valid-looking PNG whose header claims 100000 x 100000 pixels (40 GB as RGBA): decoding
        // it would fail or exhaust memory, so the refusal proves the header was checked first.
        var path = _temp.File("bomb.png");
        using (var image = new Image<L8>(1, 1))
        {
            using var memory = new MemoryStream();
            image.SaveAsPng(memory);
            var bytes = memory.ToArray();
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), 100_000);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), 100_000);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17)));
            File.WriteAllBytes(path, bytes);
        }

        var error = Assert.Throws<ImageLoadException>(() => new ImageConverter(Gray()).LoadTensor(path));
        Assert.Equal(ImageLoadError.TooLarge, error.Error);
        Assert.Contains("100000x100000", error.Message, StringComparison.Ordinal);
        Assert.Contains("bomb.png", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_destination_or_spec_is_an_argument_error()
    {
        var converter = new ImageConverter(Gray());
        using var image = new Image<L8>(4, 4);
        Assert.Throws<ArgumentException>(() => converter.ToTensor(TestImages.ToImageData(image), new float[3]));
        Assert.Throws<ArgumentException>(() => converter.ToImage(new float[3]));
        Assert.Throws<ArgumentException>(() => new ImageConverter(Gray() with { Std = [0f] }));
        Assert.Throws<ArgumentException>(() => new ImageConverter(Gray() with { Resize = (ResizeMethod)7 }));
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    private sealed class ForwardOnlyStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}
