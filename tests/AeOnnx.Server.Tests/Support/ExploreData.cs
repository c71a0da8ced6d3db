using System.Buffers.Binary;
using System.IO.Compression;

namespace AeOnnx.Server.Tests.Support;

/// <summary>
/// Explore sets for tests, made from the 30 sample images: an IDX image file (+ labels) of any size whose
/// first 30 images are the samples themselves and the rest shifted, noisy copies (seeded), labelled with
/// Fashion-MNIST's class numbers.
/// </summary>
internal static class ExploreData
{
    private static readonly string[] Classes = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"];

    /// <summary>The samples in file-name order, with their class numbers and 28×28 gray pixels.</summary>
    public static (string Path, int Label, byte[] Pixels)[] Samples(Autoencoder fashion)
    {
        return Repo.Samples(100).Select(path =>
        {
            var image = fashion.Images.LoadModelImage(path);
            var label = Array.IndexOf(Classes, Path.GetFileName(path).Split('-')[0]);
            return (path, label, image.Pixels.ToArray());
        }).ToArray();
    }

    /// <summary>Writes <c>test-images-idx3-ubyte.gz</c> and <c>test-labels-idx1-ubyte.gz</c> of <paramref name="count"/> images into <paramref name="folder"/>; returns the images file and every image's pixels and label.</summary>
    public static (string ImagesFile, byte[][] Pixels, int[] Labels) WriteIdx(string folder, int count, Autoencoder fashion)
    {
        var samples = Samples(fashion);
        var random = new Random(1234);
        var pixels = new byte[count][];
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            var (_, label, source) = samples[i % samples.Length];
            labels[i] = label;
            if (i < samples.Length)
            {
                pixels[i] = source;
                continue;
            }

            int dx = random.Next(-2, 3), dy = random.Next(-2, 3);
            var image = new byte[28 * 28];
            for (var y = 0; y < 28; y++)
            {
                for (var x = 0; x < 28; x++)
                {
                    int sx = x - dx, sy = y - dy;
                    var value = sx is >= 0 and < 28 && sy is >= 0 and < 28 ? source[(sy * 28) + sx] : 0;
                    image[(y * 28) + x] = (byte)Math.Clamp(value + random.Next(-12, 13), 0, 255);
                }
            }

            pixels[i] = image;
        }

        var imagesFile = Path.Combine(folder, "test-images-idx3-ubyte.gz");
        using (var stream = new GZipStream(File.Create(imagesFile), CompressionLevel.Fastest))
        {
            Span<byte> header = stackalloc byte[16];
            BinaryPrimitives.WriteInt32BigEndian(header, 0x00000803);
            BinaryPrimitives.WriteInt32BigEndian(header[4..], count);
            BinaryPrimitives.WriteInt32BigEndian(header[8..], 28);
            BinaryPrimitives.WriteInt32BigEndian(header[12..], 28);
            stream.Write(header);
            foreach (var image in pixels)
            {
                stream.Write(image);
            }
        }

        using (var stream = new GZipStream(File.Create(Path.Combine(folder, "test-labels-idx1-ubyte.gz")), CompressionLevel.Fastest))
        {
            Span<byte> header = stackalloc byte[8];
            BinaryPrimitives.WriteInt32BigEndian(header, 0x00000801);
            BinaryPrimitives.WriteInt32BigEndian(header[4..], count);
            stream.Write(header);
            stream.Write(labels.Select(l => (byte)l).ToArray());
        }

        return (imagesFile, pixels, labels);
    }

    /// <summary>Polls GET /v1/explore until the map of <paramref name="generation"/> is ready (or failed: the test fails with the reason).</summary>
    public static async Task WaitForMapAsync(HttpClient client, int generation = 0)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            var status = await TestServer.ReadJsonAsync(await client.GetAsync("v1/explore"));
            Assert.NotEqual("failed", status.GetProperty("state").GetString());
            if (status.GetProperty("state").GetString() == "ready" && status.GetProperty("mapGeneration").GetInt32() == generation)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the map of generation {generation} was not ready within 3 minutes: {status}");
            await Task.Delay(100);
        }
    }
}
