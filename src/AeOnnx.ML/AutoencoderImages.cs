using AeOnnx.Imaging;
using AeOnnx.ML.Internal;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML;

/// <summary>
/// Back from pixel vector columns (decoder output, reconstructions, loaded pixels) to images, with
/// the core's postprocessing: <c>p = clamp(round((y·std + mean)·scale), 0, 255)</c>, in the model's color.
/// </summary>
public static class AutoencoderImages
{
    /// <summary>Reads a pixel vector column and yields one image per row (Gray8 or Rgb24 <see cref="ImageData"/>), lazily.</summary>
    /// <param name="data">The data (e.g. the output of <see cref="AutoencoderTransforms.Decode(string, string, string)"/>).</param>
    /// <param name="columnName">A Vector&lt;Single, C·H·W&gt; column in the model's normalized space.</param>
    /// <param name="modelDirectory">The model whose manifest describes the pixels. Only use models from trusted sources.</param>
    /// <returns>Images, one per row.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or not of the model's pixel size.</exception>
    public static IEnumerable<ImageData> ToImages(IDataView data, string columnName, string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(columnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        var model = ModelCache.Get(modelDirectory, Device.Cpu, 1);
        var index = ColumnChecks.Check(data.Schema, columnName, model.PixelCount, $"model '{model.Name}' pixels", nameof(ToImages));
        return Iterate(data, index, model);
    }

    /// <summary>Writes a pixel vector column as PNG files <c>{prefix}{row:D5}.png</c> in <paramref name="outputDirectory"/>.</summary>
    /// <param name="data">The data.</param>
    /// <param name="columnName">A Vector&lt;Single, C·H·W&gt; column in the model's normalized space.</param>
    /// <param name="modelDirectory">The model whose manifest describes the pixels.</param>
    /// <param name="outputDirectory">Created if missing; existing files of the same names are overwritten.</param>
    /// <param name="prefix">File name prefix. Default "image-".</param>
    /// <returns>The written paths, in row order.</returns>
    public static IReadOnlyList<string> SavePngs(IDataView data, string columnName, string modelDirectory, string outputDirectory, string prefix = "image-")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        Directory.CreateDirectory(outputDirectory);
        var paths = new List<string>();
        foreach (var image in ToImages(data, columnName, modelDirectory))
        {
            var path = Path.Combine(outputDirectory, $"{prefix}{paths.Count:D5}.png");
            image.SavePng(path);
            paths.Add(path);
        }

        return paths;
    }

    private static IEnumerable<ImageData> Iterate(IDataView data, int index, Autoencoder model)
    {
        var column = data.Schema[index];
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        var dense = new float[model.PixelCount];
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            buffer.CopyTo(dense);
            yield return model.Images.ToImage(dense);
        }
    }
}
