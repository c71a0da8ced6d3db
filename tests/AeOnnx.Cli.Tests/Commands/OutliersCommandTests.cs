using System.Globalization;
using SixLabors.ImageSharp;

namespace AeOnnx.Cli.Tests.Commands;

public sealed class OutliersCommandTests : IClassFixture<ModelFixture>, IDisposable
{
    private readonly Autoencoder _model;
    private readonly TempFolder _temp = new();

    public OutliersCommandTests(ModelFixture fixture) => _model = fixture.Model;

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("mse")]
    [InlineData("mahalanobis")]
    public async Task Ranks_every_image_by_the_core_scores_and_lists_bad_files_last(string by)
    {
        var folder = _temp["imgs"];
        Directory.CreateDirectory(folder);
        foreach (var file in Repo.SampleFiles.Take(12))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        _temp.Write("imgs/broken.png", "nope");
        // The grid is named explicitly in one case and defaults to the report's name with .png in the other.
        var gridPath = by == "mse" ? _temp["top.png"] : _temp["r.png"];
        string[] gridOption = by == "mse" ? ["--grid", gridPath] : [];
        var run = await CliRun.InProcessAsync(["outliers", folder, "--top", "5", "--by", by, "--output", _temp["r.csv"], .. gridOption, "--model", Repo.Model]);
        Assert.True(run.ExitCode == ExitCodes.SomeInputsSkipped, run.ToString());

        var lines = File.ReadAllLines(_temp["r.csv"]);
        Assert.Equal("rank,path,status,reason,mse,psnr,mahalanobis,ssim,latent_knn,neg_elbo,combined,score,anomalous,heatmap", lines[0]);
        Assert.Equal(1 + 12 + 1, lines.Length);
        Assert.StartsWith(",", lines[^1], StringComparison.Ordinal);
        Assert.Contains("broken.png,skipped", lines[^1], StringComparison.Ordinal);

        var rows = lines[1..^1].Select(l => l.Split(',')).ToList();
        Assert.Equal(Enumerable.Range(1, 12).Select(i => i.ToString(CultureInfo.InvariantCulture)), rows.Select(r => r[0]));
        var expected = Directory.GetFiles(folder, "*-*.png")
            .Select(f => (Path: f, Mse: _model.Reconstruct(f).Error.Mse, Distance: _model.OutlierScore(_model.Encode(f))))
            .OrderByDescending(e => by == "mse" ? e.Mse : e.Distance)
            .ToList();
        Assert.Equal(expected.Select(e => Path.GetFileName(e.Path)), rows.Select(r => Path.GetFileName(r[1])));
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i].Mse, double.Parse(rows[i][4], CultureInfo.InvariantCulture), 1e-6);
            Assert.Equal(expected[i].Distance, double.Parse(rows[i][6], CultureInfo.InvariantCulture), 1e-3);
        }

        var grid = Image.Identify(gridPath);
        Assert.InRange(grid.Width, 5 * 84, (5 * 84) + 300);
        Assert.InRange(grid.Height, 2 * 84, (2 * 84) + 80);
        Assert.Contains(Path.GetFileName(expected[0].Path), run.Out, StringComparison.Ordinal);
    }
}
