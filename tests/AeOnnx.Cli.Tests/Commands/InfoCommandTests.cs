using System.Text.Json.Nodes;

namespace AeOnnx.Cli.Tests.Commands;

/// <summary><c>aeonnx info</c> shows the export's quality verdict from the manifest.</summary>
public sealed class InfoCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_model_worse_than_its_baselines_gets_the_manifests_warnings_as_lines()
    {
        var model = _temp["model"];
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(Repo.Model))
        {
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        }

        // the graphs' checksums are over the graphs only: editing the metrics keeps the folder loadable
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "manifest.json")))!.AsObject();
        var metrics = manifest["metrics"]!.AsObject();
        metrics["pca_ratio"] = 1.0456;
        metrics["warnings"] = new JsonArray("test MSE 0.01430 is 1.05x that of PCA with 16 components (0.01368): retrain", "second sentence");
        File.WriteAllText(Path.Combine(model, "manifest.json"), manifest.ToJsonString());

        var info = await CliRun.InProcessAsync("info", "--model", model);

        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("(model/PCA 1.046x)", info.Out, StringComparison.Ordinal);
        var lines = info.Out.Split('\n');
        Assert.Contains("warning       test MSE 0.01430 is 1.05x that of PCA with 16 components (0.01368): retrain", lines);
        Assert.Contains("warning       second sentence", lines);
    }

    [Fact]
    public async Task The_shipped_model_prints_its_pca_ratio_and_no_warning()
    {
        var info = await CliRun.InProcessAsync("info", "--model", Repo.Model);

        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Matches(@"\(model/PCA 0\.\d\d\dx\)", info.Out);
        Assert.DoesNotContain("warning", info.Out, StringComparison.Ordinal);
    }
}
