using AeOnnx.Imaging;
using AeOnnx.Models;
using AeOnnx.Tests.Reliability;
using AeOnnx.Tests.Support;
using Xunit.Abstractions;

namespace AeOnnx.Tests.Imaging;

/// <summary>
/// The read path allocates per image only small bookkeeping (the file handle, Skia's wrappers), not
/// buffers: the file bytes, the decoded pixels and the model pixels come from pools. Measured as
/// bytes allocated on this thread, which does not depend on machine speed or load.
/// </summary>
public sealed class ReadPathAllocationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(28, 28, 1)]     // the Fashion-MNIST case: model size
    [InlineData(640, 480, 3)]   // a photo-sized PNG resized to 32×32 (pixels: 1.2 MB decoded)
    public void Loading_a_file_allocates_no_per_image_buffers(int width, int height, int channels)
    {
        var path = _temp.File("image.png");
        File.WriteAllBytes(path, BadImageCorpus.GoodPng(5, width, height));
        var size = channels == 1 ? 28 : 32;
        var converter = new ImageConverter(new AeOnnx.Models.ImageSpec
        {
            Channels = channels,
            Height = size,
            Width = size,
            Color = channels == 1 ? ImageColor.Gray : ImageColor.Rgb,
            Scale = 255f,
            Mean = new float[channels],
            Std = Enumerable.Repeat(1f, channels).ToArray(),
            Resize = ResizeMethod.Bilinear,
        });
        var tensor = new float[converter.PixelCount];
        for (var i = 0; i < 20; i++)
        {
            converter.LoadTensor(path, tensor); // warm the pools and the JIT
        }

        const int runs = 200;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < runs; i++)
        {
            converter.LoadTensor(path, tensor);
        }

        var perImage = (GC.GetAllocatedBytesForCurrentThread() - before) / runs;
        output.WriteLine($"{width}x{height}: {perImage} bytes allocated per image (the ImageSharp path allocated ~88 KB for a 28x28 PNG)");

        // Bookkeeping only: far below the file (~1 KB–1 MB), the decoded pixels or the tensor. The
        // Pillow resampler's coefficient tables are per call and scale with the output size.
        Assert.True(perImage < 16 * 1024, $"{perImage} bytes per image");
    }
}
