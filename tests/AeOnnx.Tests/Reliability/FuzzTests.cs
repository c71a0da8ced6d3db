using System.Globalization;
using AeOnnx.Imaging;
using AeOnnx.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace AeOnnx.Tests.Reliability;

/// <summary>
/// A plain random-mutation fuzzer over valid PNG/JPEG/GIF/BMP seeds through the image loading path:
/// every outcome must be a tensor or an <see cref="ImageLoadException"/>. A fixed seed and input
/// count in <c>make test</c>; set AEONNX_FUZZ_ITERATIONS for a longer run, AEONNX_FUZZ_SEED for other inputs.
/// A failing input is saved under the temp folder and named in the failure message.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    // A fixed seed and a fixed number of inputs: the same inputs on every machine, however loaded,
    // so a failure replays exactly. AEONNX_FUZZ_SEED / AEONNX_FUZZ_ITERATIONS explore further.
    private const int DefaultSeed = 20261201;
    private const int DefaultIterations = 400;

    [Fact]
    public async Task Mutated_images_yield_a_tensor_or_image_load_exception()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("AEONNX_FUZZ_ITERATIONS"), CultureInfo.InvariantCulture, out var n) ? n : DefaultIterations;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AEONNX_FUZZ_SEED"), CultureInfo.InvariantCulture, out var r) ? r : DefaultSeed;
        var seeds = Seeds();
        var converters = new[] { Converter(1), Converter(3) };
        var random = new Random(seed);
        var (iterations, refused) = (0, 0);
        byte[] current = [];
        Exception? escaped = null;

        var loop = Task.Factory.StartNew(
            () =>
            {
                while (iterations < count && escaped is null)
                {
                    current = Mutate(seeds[random.Next(seeds.Length)], random);
                    try
                    {
                        converters[iterations % 2].LoadTensor(new MemoryStream(current, writable: false), "fuzz");
                    }
                    catch (ImageLoadException)
                    {
                        refused++;
                    }
                    catch (Exception ex)
                    {
                        escaped = ex;
                    }

                    iterations++;
                }
            },
            TaskCreationOptions.LongRunning);

        // Not a speed assertion: only a hang (one input never returning) is caught, with a bound
        // far above what the whole run takes on a loaded machine.
        await Task.WhenAny(loop, Task.Delay(TimeSpan.FromMinutes(10)));
        output.WriteLine($"seed {seed}: {iterations} inputs, {refused} refused, {iterations - refused} decoded");
        if (!loop.IsCompleted || escaped is not null)
        {
            var saved = Path.Combine(Path.GetTempPath(), $"aeonnx-fuzz-failure-{seed}.bin");
            await File.WriteAllBytesAsync(saved, current);
            Assert.Fail(loop.IsCompleted
                ? $"seed {seed}, input {iterations}: {escaped!.GetType()} escaped the image loader for {saved}: {escaped}"
                : $"seed {seed}, input {iterations}: no result after 10 minutes (hang?): {saved}");
        }

        Assert.Equal(count, iterations);

        // Both outcomes must occur, or the mutations are too weak (all refused) or do nothing (all decoded).
        Assert.InRange(refused, 1, count - 1);
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        var count = random.Next(1, 9);
        for (var m = 0; m < count && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes[at] = new byte[] { 0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe }[random.Next(6)];
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 4:
                    var noise = new byte[random.Next(1, 32)];
                    random.NextBytes(noise);
                    bytes.InsertRange(at, noise);
                    break;
                case 5:
                    var length = Math.Min(random.Next(1, 64), bytes.Count - at);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                default:
                    // A big value where a size field might be (big- or little-endian).
                    for (var k = 0; k < 4 && at + k < bytes.Count; k++)
                    {
                        bytes[at + k] = (byte)random.Next(0x40, 0x100);
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    private static byte[][] Seeds()
    {
        using var rgba = new Image<Rgba32>(12, 10);
        for (var y = 0; y < 10; y++)
        {
            for (var x = 0; x < 12; x++)
            {
                rgba[x, y] = new Rgba32((byte)(x * 20), (byte)(y * 25), (byte)(x * y), (byte)(255 - x));
            }
        }

        byte[] Save(SixLabors.ImageSharp.Formats.IImageEncoder encoder, Image? image = null)
        {
            using var stream = new MemoryStream();
            (image ?? rgba).Save(stream, encoder);
            return stream.ToArray();
        }

        using var gray16 = rgba.CloneAs<L16>();
        return
        [
            Save(new PngEncoder()),
            Save(new PngEncoder { ColorType = PngColorType.Palette }),
            Save(new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 }),
            Save(new PngEncoder { BitDepth = PngBitDepth.Bit16 }, gray16),
            Save(new JpegEncoder { Quality = 75 }),
            Save(new GifEncoder()),
            Save(new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }),
            Save(new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel8 }),
            BadImageCorpus.CmykJpeg(),
            BadImageCorpus.Gif(3, 2, 3, 77),
        ];
    }

    private static ImageConverter Converter(int channels) => new(
        new ImageSpec
        {
            Channels = channels,
            Height = 8,
            Width = 8,
            Color = channels == 1 ? ImageColor.Gray : ImageColor.Rgb,
            Scale = 255f,
            Mean = Enumerable.Repeat(0.5f, channels).ToArray(),
            Std = Enumerable.Repeat(0.25f, channels).ToArray(),
            Resize = ResizeMethod.Bilinear,
        },
        new ImageLimits { MaxPixels = 1_000_000, MaxFileBytes = 1 << 20 });
}
