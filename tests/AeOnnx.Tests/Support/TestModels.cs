using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AeOnnx.Tests.Support;

/// <summary>Finds the shipped model folders and builds broken copies of them in temp folders.</summary>
internal static class TestModels
{
    public const string FashionAe = "fashion-mnist-ae";
    public const string FashionVae = "fashion-mnist-vae";
    public const string TinyRgb = "tiny-rgb";

    private static readonly Lazy<string> Root = new(FindRepoRoot);

    public static string RepoRoot => Root.Value;

    public static string ModelsFolder => Path.Combine(RepoRoot, "models");

    public static string Folder(string name) => Path.Combine(ModelsFolder, name);

    public static bool Exists(string name) => File.Exists(Path.Combine(Folder(name), "manifest.json"));

    /// <summary>Every shipped model folder that has a manifest.</summary>
    public static IEnumerable<string> All() =>
        Directory.Exists(ModelsFolder)
            ? Directory.GetDirectories(ModelsFolder).Where(d => File.Exists(Path.Combine(d, "manifest.json"))).Select(Path.GetFileName).Order(StringComparer.Ordinal)!
            : [];

    public static AutoencoderOptions CpuOptions(int batchSize = 64) => new() { Device = Device.Cpu, BatchSize = batchSize, IntraOpThreads = 1 };

    /// <summary>Copies a shipped model folder (graphs and manifest only) into a fresh temp folder.</summary>
    public static TempFolder Copy(string name)
    {
        var temp = new TempFolder();
        foreach (var file in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
        {
            File.Copy(Path.Combine(Folder(name), file), Path.Combine(temp.Path, file));
        }

        return temp;
    }

    public static JsonObject ReadManifest(string folder) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!.AsObject();

    public static void WriteManifest(string folder, JsonObject manifest) =>
        File.WriteAllText(Path.Combine(folder, "manifest.json"), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public static void EditManifest(string folder, Action<JsonObject> edit)
    {
        var manifest = ReadManifest(folder);
        edit(manifest);
        WriteManifest(folder, manifest);
    }

    /// <summary>Writes the current SHA-256 of both graphs into the manifest, so later checks are reached.</summary>
    public static void Rehash(string folder) => EditManifest(folder, m =>
    {
        m["encoder"]!["sha256"] = Sha256(Path.Combine(folder, (string)m["encoder"]!["file"]!));
        m["decoder"]!["sha256"] = Sha256(Path.Combine(folder, (string)m["decoder"]!["file"]!));
    });

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    public static Fixtures ReadFixtures(string name)
    {
        var path = Path.Combine(Folder(name), "fixtures", "fixtures.json");
        return JsonSerializer.Deserialize<Fixtures>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AeOnnx.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"No AeOnnx.sln above {AppContext.BaseDirectory}.");
    }

    internal sealed record Fixtures(string Model, List<FixtureImage> Images);

    internal sealed record FixtureImage(string File, string? Label, float[] Latent, float[]? Logvar, float[] Reconstruction);
}
