using System.Globalization;
using System.Text;
using AeOnnx.Anomaly;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// <c>aeonnx outliers</c>: rank images by an anomaly score (reconstruction MSE, 1 − SSIM, latent Mahalanobis
/// distance, a VAE's −ELBO, the calibrated combination; docs/MODEL-FORMAT.md, anomaly) and, with a threshold
/// (<c>--fpr</c> from the model's calibration or <c>--threshold</c>), decide which are anomalous; a CSV report,
/// a grid of the top K and error heatmaps. Where an extension goes: an option is a member of
/// <see cref="Settings"/> (bound in <c>OutliersCommand</c>); an output file or folder joins the
/// <see cref="JobOutputs"/> in <see cref="RunAsync"/> (then it is checked against the inputs, locked and checked
/// writable before the model loads); per-image work that needs the reconstruction goes in
/// <see cref="ScoreAsync"/>'s loop, the only place it is in memory; a per-image number is a member of
/// <see cref="Scored"/> and a column of <see cref="Report"/>.
/// </summary>
internal sealed class OutliersJob(CliConsole console, OutliersJob.Settings settings)
{
    /// <param name="Inputs">The images.</param>
    /// <param name="Top">How many the grid (and, without a threshold, the heatmaps) show.</param>
    /// <param name="By">The score to rank and decide by; null: the model's calibrated default, else mse.</param>
    /// <param name="FalsePositiveRate">Decide with the calibrated threshold for this rate on normal images.</param>
    /// <param name="Threshold">Decide with this threshold of <paramref name="By"/>.</param>
    /// <param name="Output">The CSV report.</param>
    /// <param name="Grid">The grid PNG; null: the report's name with .png.</param>
    /// <param name="Heatmaps">Folder for heatmap PNGs; null: none.</param>
    /// <param name="Model">The model options.</param>
    internal sealed record Settings(InputSelection Inputs, int Top, string? By, double? FalsePositiveRate, double? Threshold, string Output, string? Grid, string? Heatmaps, ModelSettings Model);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var reportPath = settings.Output;
        var gridPath = settings.Grid ?? Path.ChangeExtension(reportPath, ".png");
        var heatmapFolder = settings.Heatmaps is { } h ? Path.GetFullPath(h) : null;
        if (heatmapFolder is not null && File.Exists(heatmapFolder))
        {
            throw CliException.Fatal($"--heatmaps '{settings.Heatmaps}' is a file; outliers writes a folder of PNGs there.");
        }

        var outputs = new JobOutputs()
            .File("--output", reportPath)
            .File(settings.Grid is null ? "the grid (--output with .png)" : "--grid", gridPath)
            .Folder("--heatmaps", settings.Heatmaps);
        var heatmapProbe = heatmapFolder is null ? null : Path.Combine(heatmapFolder, ".aeonnx-heatmap");
        using var job = Job.Open(console, "outliers", settings.Model.Quiet, outputs, AtomicFile.Sibling(reportPath, ".aeonnx-lock"), settings.Inputs.Resolve(outputs), writable: [reportPath, gridPath, heatmapProbe]);
        using var model = settings.Model.Load(console);
        var (by, rule) = Decision(model);

        var names = heatmapFolder is null ? null : OutputNames.Assign(job.Items);
        var (scored, skipped) = await ScoreAsync(job, model, by, rule, heatmapFolder, names, cancellationToken);
        var ranked = scored
            .OrderByDescending(s => s.Scores[by])
            .ThenBy(s => s.Item.Position)
            .ToList();
        var k = settings.Top;
        if (heatmapFolder is not null && rule is null)
        {
            // Without a decision the heatmaps show the top K, known only now: recomputed for these K.
            foreach (var s in ranked.Take(k))
            {
                s.Heatmap = WriteHeatmap(model, model.ScoreAnomaly(s.Item.FullPath), heatmapFolder, names![s.Item.Position]);
            }
        }

        AtomicFile.WriteAllText(reportPath, Report(ranked, skipped, by));
        var scoreName = by.Name();
        if (ranked.Count > 0)
        {
            WriteGrid(model, ranked.Take(k).Select(r => (r.Item, r.Scores[by], r.Anomalous)).ToList(), scoreName, gridPath);
        }

        var anomalies = ranked.Count(r => r.Anomalous == true);
        var lines = new List<string> { $"ranked {ranked.Count} images by {Describe(by)} ({skipped.Count} skipped) -> {reportPath}, top {Math.Min(k, ranked.Count)} in {gridPath}" };
        if (rule is not null)
        {
            var why = rule.FalsePositiveRate is { } rate
                ? string.Create(CultureInfo.InvariantCulture, $"calibrated for a false-positive rate of {rate:0.####} on {model.Manifest.Anomaly!.CalibrationImages} held-out normal images")
                : "given";
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"anomalous: {anomalies} of {ranked.Count} images ({scoreName} > {rule.Value:G6}, threshold {why})"));
        }

        if (heatmapFolder is not null)
        {
            lines.Add($"heatmaps: {ranked.Count(r => r.Heatmap is not null)} in {settings.Heatmaps} (image | reconstruction | error overlaid)");
        }

        lines.AddRange(ranked.Take(Math.Min(k, 5)).Select(s => string.Create(
            CultureInfo.InvariantCulture,
            $"  {s.Item.DisplayPath}  {scoreName} {s.Scores[by]:G6}  mse {s.Scores[AnomalyScore.Mse]:0.00000}  psnr {s.Psnr:0.0}{(s.Anomalous == true ? "  ANOMALOUS" : string.Empty)}")));
        var code = job.Finish(skipped.Count, lines);
        return anomalies > 0 ? ExitCodes.AnomaliesFound : code;
    }

    private static string Describe(AnomalyScore score) => score switch
    {
        AnomalyScore.Mse => "reconstruction MSE",
        AnomalyScore.Ssim => "1 - SSIM",
        AnomalyScore.Mahalanobis => "latent Mahalanobis distance",
        AnomalyScore.NegativeElbo => "the VAE's -ELBO",
        _ => "the calibrated combined score",
    };

    /// <summary>The score and the rule, checked against the model before any image is read.</summary>
    private (AnomalyScore By, AnomalyThreshold? Rule) Decision(Autoencoder model)
    {
        var calibration = model.Manifest.Anomaly;
        var by = calibration?.DefaultScore ?? AnomalyScore.Mse;
        if (settings.By is { } name && !AnomalyScoreNames.TryParse(name, out by))
        {
            throw CliException.Usage($"--by '{name}' is not a score; use one of {string.Join(", ", AnomalyScoreNames.All)}.");
        }

        var missing = model.MissingFor(by);
        if (missing is not null)
        {
            throw CliException.Fatal($"model '{model.Name}' cannot score --by {by.Name()}: that needs {missing}.");
        }

        if (settings.FalsePositiveRate is { } rate)
        {
            if (calibration is null)
            {
                throw CliException.Fatal($"model '{model.Name}' has no anomaly calibration (manifest.json's anomaly block), so --fpr has no threshold to use: calibrate it on held-out normal images (training-scripts/calibrate.py --model FOLDER) or give --threshold.");
            }

            if (!calibration.Scores.ContainsKey(by))
            {
                throw CliException.Fatal($"model '{model.Name}' has no calibration of the score {by.Name()} (it has {string.Join(", ", calibration.Scores.Keys.Select(s => s.Name()))}).");
            }

            return (by, AnomalyThreshold.ForFalsePositiveRate(calibration, rate, by));
        }

        return (by, settings.Threshold is { } value ? new AnomalyThreshold(by, value) : null);
    }

    /// <summary>One small record per input: memory grows with the count, not with image sizes.</summary>
    private async Task<(List<Scored> Scored, List<(InputItem Item, string Reason)> Skipped)> ScoreAsync(
        Job job, Autoencoder model, AnomalyScore by, AnomalyThreshold? rule, string? heatmapFolder, string[]? names, CancellationToken cancellationToken)
    {
        var scored = new List<Scored>();
        var skipped = new List<(InputItem Item, string Reason)>();
        var progress = job.Progress(job.Items.Count);
        var pipelineOptions = settings.Model.Pipeline(model);
        await foreach (var outcome in Job.StreamAsync(job.Items, (files, ct) => model.ReconstructFilesAsync(files, pipelineOptions, ct), cancellationToken))
        {
            var item = outcome.Item;
            if (outcome.IsOk && outcome.Result is { Error: { } error, Input: { } input, Reconstruction: { } output, Latent: { } latent } result)
            {
                var anomaly = model.ScoreAnomaly(new Reconstruction(input, latent, output, error), rule, result.LogVariance);
                if (!anomaly.Scores.ContainsKey(by))
                {
                    throw CliException.Fatal($"model '{model.Name}' cannot score --by {by.Name()} (it computes {string.Join(", ", anomaly.Scores.Keys.Select(s => s.Name()))}).");
                }

                var anomalous = anomaly.IsAnomaly;
                var heatmap = heatmapFolder is not null && anomalous == true ? WriteHeatmap(model, anomaly, heatmapFolder, names![item.Position]) : null;
                scored.Add(new Scored(item, error.Psnr, anomaly.Scores, anomalous) { Heatmap = heatmap });
                progress.Advance(ok: true);
            }
            else
            {
                var reason = outcome.SkipReason ?? "no reconstruction";
                skipped.Add((item, reason));
                progress.Warn($"skipped {item.DisplayPath}: {reason}");
                progress.Advance(ok: false);
            }
        }

        progress.Finish();
        return (scored, skipped);
    }

    private static string WriteHeatmap(Autoencoder model, AnomalyResult result, string folder, string name)
    {
        ImageFiles.SavePng(AnomalyHeatmap.Render(model, result), Path.Combine(folder, name));
        return name;
    }

    // mse, psnr and mahalanobis keep the columns they had before the other scores; then every other score by name.
    private static readonly AnomalyScore[] ReportScores = [.. Enum.GetValues<AnomalyScore>().Where(a => a is not (AnomalyScore.Mse or AnomalyScore.Mahalanobis))];

    private static readonly string ReportHeader =
        $"rank,path,status,reason,mse,psnr,mahalanobis,{string.Join(',', ReportScores.Select(a => a.Name()))},score,anomalous,heatmap\n";

    private static string Report(List<Scored> ranked, List<(InputItem Item, string Reason)> skipped, AnomalyScore by)
    {
        var report = new StringBuilder(ReportHeader);
        for (var i = 0; i < ranked.Count; i++)
        {
            var s = ranked[i];
            string Score(AnomalyScore a) => IndexCsv.FormatNumber(s.Scores.TryGetValue(a, out var v) ? v : null);
            var anomalous = s.Anomalous switch { true => "yes", false => "no", null => string.Empty };
            report.Append(CultureInfo.InvariantCulture, $"{i + 1},{IndexCsv.Quote(s.Item.DisplayPath)},ok,,{Score(AnomalyScore.Mse)},{IndexCsv.FormatNumber(s.Psnr)},{Score(AnomalyScore.Mahalanobis)}");
            foreach (var a in ReportScores)
            {
                report.Append(',').Append(Score(a));
            }

            report.Append(CultureInfo.InvariantCulture, $",{Score(by)},{anomalous},{(s.Heatmap is null ? string.Empty : IndexCsv.Quote(s.Heatmap))}\n");
        }

        foreach (var (item, reason) in skipped)
        {
            report.Append(CultureInfo.InvariantCulture, $",{IndexCsv.Quote(item.DisplayPath)},skipped,{IndexCsv.Quote(reason)},,,").Append(',', ReportScores.Length + 3).Append('\n');
        }

        return report.ToString();
    }

    /// <summary>The top K: originals above reconstructions (recomputed for these K only), 8 a row pair.</summary>
    private static void WriteGrid(Autoencoder model, List<(InputItem Item, double Score, bool? Anomalous)> shown, string scoreName, string path)
    {
        using var grid = new ComparisonGrid(model, shown.Count, $"{model.Name}: top {shown.Count} by {scoreName}");
        for (var i = 0; i < shown.Count; i++)
        {
            var item = shown[i].Item;
            var score = string.Create(CultureInfo.InvariantCulture, $"#{i + 1} {shown[i].Score:G3}{(shown[i].Anomalous == true ? " !" : string.Empty)}");
            var original = GridImages.ModelView(model, item.FullPath);
            grid.Add(original, Path.GetFileNameWithoutExtension(item.DisplayPath), GridImages.FromOutput(model, model.Reconstruct(item.FullPath).Output), score);
        }

        grid.SavePng(path);
    }

    /// <summary>One ranked image: every score the model defines, the decision, the heatmap written for it.</summary>
    private sealed record Scored(InputItem Item, double Psnr, IReadOnlyDictionary<AnomalyScore, double> Scores, bool? Anomalous)
    {
        public string? Heatmap { get; set; }
    }
}
