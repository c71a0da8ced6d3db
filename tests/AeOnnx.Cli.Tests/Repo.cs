namespace AeOnnx.Cli.Tests;

/// <summary>Paths in the repository: the sample images and the shipped model the tests run on.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Samples => Path.Combine(Root, "samples", "images");

    public static string Model => Path.Combine(Root, "models", "fashion-mnist-ae");

    public static string[] SampleFiles => Directory.GetFiles(Samples, "*.png").OrderBy(p => Path.GetFileName(p), StringComparer.Ordinal).ToArray();

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "models", "fashion-mnist-ae", "manifest.json"))
                && Directory.Exists(Path.Combine(dir.FullName, "samples", "images")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (models/fashion-mnist-ae, samples/images) not found above " + AppContext.BaseDirectory);
    }
}
