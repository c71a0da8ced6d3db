namespace AeOnnx.Server.Tests.Support;

/// <summary>Paths of the shipped models and sample images in this checkout.</summary>
internal static class Repo
{
    public static readonly string Root = FindRoot();

    public static string Model(string name) => Path.Combine(Root, "models", name);

    public static string Sample(string name) => Path.Combine(Root, "samples", "images", name);

    public static string[] Samples(int count) =>
        Directory.GetFiles(Path.Combine(Root, "samples", "images"), "*.png").Order(StringComparer.Ordinal).Take(count).ToArray();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AeOnnx.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"No AeOnnx.sln above {AppContext.BaseDirectory}.");
    }
}
