using System.Globalization;
using System.Text;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// <c>aeonnx outliers</c>: rank images by reconstruction error or latent Mahalanobis distance; a CSV report
/// and a grid of the top K. Where an extension goes: an option is a member of <see cref="Settings"/>
/// (bound in <c>OutliersCommand</c>); an output file or folder joins the <see cref="JobOutputs"/> in
/// <see cref="RunAsync"/> (then it is checked against the inputs, locked and checked writable before the
/// model loads); per-image work that needs the reconstruction goes in <see cref="ScoreAsync"/>'s loop, the
/// only place it is in memory; a per-image number is a member of <see cref="Scored"/> and a column of
/// <see cref="Report"/>.
/// </summary>
internal sealed class OutliersJob(CliConsole console, OutliersJob.Settings settings)
{
    internal sealed record Settings(InputSelection Inputs, int Top, bool ByMahalanobis, string Output, string? Grid, ModelSettings Model);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        string reportPath = settings.Output;
        string gridPath = settings.Grid ?? Path.ChangeExtension(reportPath, ".png");
        var outputs = new JobOutputs().File("--output", reportPath).File(settings.Grid is null ? "the grid (--output with .png)" : "--grid", gridPath);
        using var job = Job.Open(console, "outliers", settings.Model.Quiet, outputs, AtomicFile.Sibling(reportPath, ".aeonnx-lock"), settings.Inputs.Resolve(outputs), writable: [reportPath, gridPath]);
        using var model = settings.Model.Load(console);
        bool byMahalanobis = settings.ByMahalanobis;
        if (byMahalanobis && model.LatentDistribution is null)
        {
            throw CliException.Fatal($"model '{model.Name}' has no latent statistics (latent.mean, latent.cholesky): rank --by mse.");
        }

        var (scored, skipped) = await ScoreAsync(job, model, cancellationToken);
        var ranked = scored
            .OrderByDescending(s => byMahalanobis ? s.Mahalanobis!.Value : s.Mse)
            .ThenBy(s => s.Item.Position)
            .ToList();
        AtomicFile.WriteAllText(reportPath, Report(ranked, skipped));
        int k = settings.Top;
        if (ranked.Count > 0)
        {
            WriteGrid(model, ranked.Take(k).Select(r => (r.Item, byMahalanobis ? r.Mahalanobis!.Value : r.Mse)).ToList(), byMahalanobis, gridPath);
        }

        var top = ranked.Take(Math.Min(k, 5)).Select(s => string.Create(
            CultureInfo.InvariantCulture,
            $"  {s.Item.DisplayPath}  mse {s.Mse:0.00000}  psnr {s.Psnr:0.0}{(s.Mahalanobis is { } d ? "  mahalanobis " + d.ToString("0.00", CultureInfo.InvariantCulture) : string.Empty)}"));
        return job.Finish(
            skipped.Count,
            [$"ranked {ranked.Count} images by {(byMahalanobis ? "latent Mahalanobis distance" : "reconstruction MSE")} ({skipped.Count} skipped) -> {reportPath}, top {Math.Min(k, ranked.Count)} in {gridPath}", .. top]);
    }

    /// <summary>One small record per input: memory grows with the count, not with image sizes.</summary>
    private async Task<(List<Scored> Scored, List<(InputItem Item, string Reason)> Skipped)> ScoreAsync(Job job, Autoencoder model, CancellationToken cancellationToken)
    {
        bool hasStatistics = model.LatentDistribution is not null;
        var scored = new List<Scored>();
        var skipped = new List<(InputItem Item, string Reason)>();
        var progress = job.Progress(job.Items.Count);
        var pipelineOptions = settings.Model.Pipeline(model);
        await foreach (var outcome in Job.StreamAsync(job.Items, (files, ct) => model.ReconstructFilesAsync(files, pipelineOptions, ct), cancellationToken))
        {
            var item = outcome.Item;
            if (outcome.IsOk && outcome.Result!.Error is { } error)
            {
                scored.Add(new Scored(item, error.Mse, error.Psnr, hasStatistics ? model.OutlierScore(outcome.Latent) : null));
                progress.Advance(ok: true);
            }
            else
            {
                string reason = outcome.SkipReason ?? "no reconstruction";
                skipped.Add((item, reason));
                progress.Warn($"skipped {item.DisplayPath}: {reason}");
                progress.Advance(ok: false);
            }
        }

        progress.Finish();
        return (scored, skipped);
    }

    private static string Report(List<Scored> ranked, List<(InputItem Item, string Reason)> skipped)
    {
        var report = new StringBuilder("rank,path,status,reason,mse,psnr,mahalanobis\n");
        for (int i = 0; i < ranked.Count; i++)
        {
            var s = ranked[i];
            report.Append(CultureInfo.InvariantCulture, $"{i + 1},{IndexCsv.Quote(s.Item.DisplayPath)},ok,,{IndexCsv.FormatNumber(s.Mse)},{IndexCsv.FormatNumber(s.Psnr)},{IndexCsv.FormatNumber(s.Mahalanobis)}\n");
        }

        foreach (var (item, reason) in skipped)
        {
            report.Append(CultureInfo.InvariantCulture, $",{IndexCsv.Quote(item.DisplayPath)},skipped,{IndexCsv.Quote(reason)},,,\n");
        }

        return report.ToString();
    }

    /// <summary>The top K: originals above reconstructions (recomputed for these K only), 8 a row pair.</summary>
    private static void WriteGrid(Autoencoder model, List<(InputItem Item, double Score)> shown, bool byMahalanobis, string path)
    {
        using var grid = new ComparisonGrid(model, shown.Count, $"{model.Name}: top {shown.Count} by {(byMahalanobis ? "latent Mahalanobis distance" : "reconstruction MSE")}");
        for (int i = 0; i < shown.Count; i++)
        {
            var item = shown[i].Item;
            string score = byMahalanobis
                ? $"#{i + 1} d " + shown[i].Score.ToString("0.0", CultureInfo.InvariantCulture)
                : $"#{i + 1} mse " + shown[i].Score.ToString("0.000", CultureInfo.InvariantCulture);
            var original = GridImages.ModelView(model, item.FullPath);
            grid.Add(original, Path.GetFileNameWithoutExtension(item.DisplayPath), GridImages.FromOutput(model, model.Reconstruct(item.FullPath).Output), score);
        }

        grid.SavePng(path);
    }

    private sealed record Scored(InputItem Item, double Mse, double Psnr, double? Mahalanobis);
}
