using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Tests.Reliability;

/// <summary>Repo paths, model copies and index reading shared by the CLI reliability tests.</summary>
internal static class CliFixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AeOnnx.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("no AeOnnx.sln above the test binaries");
    });

    public static string Model => Path.Combine(Root.Value, "models", "fashion-mnist-ae");

    /// <summary>Options every run here passes: the shipped model on one CPU thread (deterministic, light on shared cores).</summary>
    public static string[] ModelArgs => ["--model", Model, "--device", "cpu", "--threads", "1", "--quiet"];

    /// <summary>Copies the shipped model into <paramref name="folder"/>, lets <paramref name="edit"/> change the graphs, fixes the hashes.</summary>
    public static string CopyModel(string folder, Action<string>? edit = null)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
        {
            File.Copy(Path.Combine(Model, file), Path.Combine(folder, file));
        }

        edit?.Invoke(folder);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!.AsObject();
        foreach (var role in new[] { "encoder", "decoder" })
        {
            manifest[role]!["sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, $"{role}.onnx"))));
        }

        File.WriteAllText(Path.Combine(folder, "manifest.json"), manifest.ToJsonString());
        return folder;
    }

    public static List<IndexEntry> ReadIndex(string path) => IndexCsv.Read(path).Entries;

    /// <summary>Writes <paramref name="count"/> good 28×28 PNGs named 00000.png, 00001.png ... into <paramref name="folder"/>.</summary>
    public static void WriteGoodImages(string folder, int count, int seed = 0)
    {
        Directory.CreateDirectory(folder);
        for (var i = 0; i < count; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"{i:00000}.png"), AeOnnx.Tests.Reliability.BadImageCorpus.GoodPng(seed + i));
        }
    }
}
