using Microsoft.ML;

namespace AeOnnx.ML.Tests.Support;

/// <summary>Paths to the shipped model and the sample images; one small row type for the sample PNGs.</summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRoot();

    public static string FashionModel => Path.Combine(RepoRoot, "models", "fashion-mnist-ae");

    public static string SampleImages => Path.Combine(RepoRoot, "samples", "images");

    public static string[] SamplePaths() => Directory.GetFiles(SampleImages, "*.png").Order(StringComparer.Ordinal).ToArray();

    public static ImageRow[] SampleRows() => SamplePaths()
        .Select(p => new ImageRow { ImagePath = p, Label = Path.GetFileName(p).Split('-')[0] })
        .ToArray();

    public static IDataView SampleView(MLContext ml) => ml.Data.LoadFromEnumerable(SampleRows());

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AeOnnx.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("AeOnnx.sln not found above the test binaries.");
    }
}

/// <summary>An image path with its class label (from the file name).</summary>
public sealed class ImageRow
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}
