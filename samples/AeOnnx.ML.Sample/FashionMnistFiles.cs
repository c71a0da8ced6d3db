using System.IO.Compression;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.ML.Sample;

/// <summary>Writes Fashion-MNIST idx (gzip) images as 28×28 gray PNG files named {label}-{index}.png.</summary>
public static class FashionMnistFiles
{
    /// <summary>The ten class names, in label order.</summary>
    public static readonly string[] ClassNames =
        ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"];

    /// <summary>Writes the first <paramref name="count"/> images of a split (skips files already there).</summary>
    /// <param name="datasetDirectory">Folder with the *-images-idx3-ubyte.gz and *-labels-idx1-ubyte.gz files.</param>
    /// <param name="split">"train" or "t10k".</param>
    /// <param name="count">How many images.</param>
    /// <param name="outputDirectory">Where the PNGs go.</param>
    /// <returns>(path, label) per image.</returns>
    public static IReadOnlyList<(string Path, string Label)> Write(string datasetDirectory, string split, int count, string outputDirectory)
    {
        var images = ReadGz(Path.Combine(datasetDirectory, $"{split}-images-idx3-ubyte.gz"));
        var labels = ReadGz(Path.Combine(datasetDirectory, $"{split}-labels-idx1-ubyte.gz"));
        if (BigEndian(images, 0) != 2051 || BigEndian(labels, 0) != 2049)
        {
            throw new InvalidDataException($"Not Fashion-MNIST idx files in {datasetDirectory}.");
        }

        var available = BigEndian(images, 4);
        var rows = BigEndian(images, 8);
        var cols = BigEndian(images, 12);
        count = Math.Min(count, available);
        Directory.CreateDirectory(outputDirectory);
        var result = new List<(string, string)>(count);
        for (var i = 0; i < count; i++)
        {
            var label = ClassNames[labels[8 + i]];
            var path = Path.Combine(outputDirectory, $"{label}-{i:D5}.png");
            if (!File.Exists(path))
            {
                using var image = Image.LoadPixelData<L8>(images.AsSpan(16 + (i * rows * cols), rows * cols), cols, rows);
                image.SaveAsPng(path);
            }

            result.Add((path, label));
        }

        return result;
    }

    private static byte[] ReadGz(string path)
    {
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    private static int BigEndian(byte[] b, int offset) => (b[offset] << 24) | (b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3];
}
