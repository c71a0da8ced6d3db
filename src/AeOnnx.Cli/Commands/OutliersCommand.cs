using System.CommandLine;
using System.Globalization;
using System.Text;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using AeOnnx.Pipeline;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx outliers</c>: rank images by reconstruction error and latent Mahalanobis distance.</summary>
internal sealed class OutliersCommand : VerbCommand
{
    private readonly CommonOptions common = new();
    private readonly InputOptions inputs = new();

    private readonly Option<int> top = new("--top", "-k")
    {
        Description = "How many of the most unusual images the grid shows",
        HelpName = "K",
        DefaultValueFactory = _ => 16,
    };

    private readonly Option<string> rankBy = new("--by")
    {
        Description = "Ranking score: mse (reconstruction error) or mahalanobis (distance of the latent from the training distribution)",
        HelpName = "mse|mahalanobis",
        DefaultValueFactory = _ => "mse",
    };

    private readonly Option<string> output = new("--output", "-o")
    {
        Description = "CSV report, most unusual first: rank, path, status, reason, mse, psnr, mahalanobis (skipped inputs at the end)",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> grid = new("--grid")
    {
        Description = "PNG grid of the top K: original above reconstruction, captioned with the score (default: the report's name with .png)",
        HelpName = "FILE",
    };

    public OutliersCommand(CliConsole console)
        : base("outliers", "Find unusual images: rank by reconstruction error (and latent Mahalanobis distance); CSV report and a grid of the top K.", console)
    {
        inputs.AddTo(this);
        Options.Add(top);
        Options.Add(rankBy);
        Options.Add(output);
        Options.Add(grid);
        common.AddTo(this);
        rankBy.AcceptOnlyFromAmong("mse", "mahalanobis");
        top.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 256)
            {
                r.AddError("--top must be between 1 and 256.");
            }
        });
    }

    public override string Examples => """
          aeonnx outliers samples/images --top 8 --output outliers.csv --grid outliers.png
          aeonnx outliers photos/ --by mahalanobis --top 20 --output odd.csv      (grid: odd.png)
        """;

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string reportPath = parse.GetValue(output)!;
        string gridPath = parse.GetValue(grid) ?? Path.ChangeExtension(reportPath, ".png");
        var outputs = new JobOutputs().File("--output", reportPath).File(parse.GetValue(grid) is null ? "the grid (--output with .png)" : "--grid", gridPath);
        using StreamingJob streamingJob = StreamingJob.Start(parse, inputs, outputs, AtomicFile.Sibling(reportPath, ".aeonnx-lock"));
        var items = streamingJob.Items;
        bool byMahalanobis = parse.GetValue(rankBy) == "mahalanobis";
        int k = parse.GetValue(top);
        bool quiet = parse.GetValue(common.Quiet);
        OutputFiles.CheckWritable(reportPath);
        OutputFiles.CheckWritable(gridPath);

        using var model = common.LoadModel(parse, Console);
        bool hasStatistics = model.LatentDistribution is not null;
        if (byMahalanobis && !hasStatistics)
        {
            throw CliException.Fatal($"model '{model.Name}' has no latent statistics (latent.mean, latent.cholesky): rank --by mse.");
        }

        // One small record per input: memory grows with the count, not with image sizes.
        var scored = new List<(InputItem Item, double Mse, double Psnr, double? Mahalanobis)>();
        var skipped = new List<(InputItem Item, string Reason)>();
        var progress = new ProgressReporter(Console, "outliers", items.Count, quiet);
        var pipelineOptions = common.PipelineOptions(parse, model);
        await foreach (var outcome in StreamingJob.RunAsync(items, (paths, ct) => model.ReconstructFilesAsync(paths, pipelineOptions, ct), cancellationToken))
        {
            var item = outcome.Item;
            if (outcome.IsOk && outcome.Result!.Error is { } error)
            {
                scored.Add((item, error.Mse, error.Psnr, hasStatistics ? model.OutlierScore(outcome.Latent) : null));
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
        var ranked = scored
            .OrderByDescending(s => byMahalanobis ? s.Mahalanobis!.Value : s.Mse)
            .ThenBy(s => s.Item.Position)
            .ToList();

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

        AtomicFile.WriteAllText(reportPath, report.ToString());
        if (ranked.Count > 0)
        {
            WriteGrid(model, ranked.Take(k).Select(r => (r.Item, byMahalanobis ? r.Mahalanobis!.Value : r.Mse)).ToList(), byMahalanobis, gridPath);
        }

        if (!quiet)
        {
            Console.Out.WriteLine($"ranked {ranked.Count} images by {(byMahalanobis ? "latent Mahalanobis distance" : "reconstruction MSE")} ({skipped.Count} skipped) -> {reportPath}"
                + $", top {Math.Min(k, ranked.Count)} in {gridPath}");
            foreach (var s in ranked.Take(Math.Min(k, 5)))
            {
                string distance = s.Mahalanobis is { } d ? "  mahalanobis " + d.ToString("0.00", CultureInfo.InvariantCulture) : string.Empty;
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {s.Item.DisplayPath}  mse {s.Mse:0.00000}  psnr {s.Psnr:0.0}{distance}"));
            }
        }

        return StreamingJob.ExitCode(skipped.Count);
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
}
