using System.CommandLine;
using AeOnnx.Anomaly;
using AeOnnx.Cli.Jobs;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx outliers</c>: rank images by an anomaly score and decide which are anomalous.</summary>
internal sealed class OutliersCommand : VerbCommand
{
    private readonly CommonOptions _common = new();
    private readonly InputOptions _inputs = new();

    private readonly Option<int> _top = new("--top", "-k")
    {
        Description = "How many of the most unusual images the grid shows",
        HelpName = "K",
        DefaultValueFactory = _ => 16,
    };

    private readonly Option<string?> _rankBy = new("--by")
    {
        Description = "Score to rank and decide by: mse (reconstruction error), ssim (1 - SSIM), mahalanobis (distance of the latent from the training latents), latent_knn (whitened distance to the nearest training latents, when calibrated with it), neg_elbo (a calibrated VAE's -ELBO), combined (the calibrated combination). Default: the model's calibrated score, else mse",
        HelpName = "SCORE",
    };

    private readonly Option<double?> _fpr = new("--fpr")
    {
        Description = "Mark images anomalous above the model's calibrated threshold for this false-positive rate on normal images, e.g. 0.01 (needs a calibrated model: manifest.json's anomaly block)",
        HelpName = "RATE",
    };

    private readonly Option<double?> _threshold = new("--threshold")
    {
        Description = "Mark images anomalous whose score (--by) is above this value",
        HelpName = "VALUE",
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "CSV report, most unusual first: rank, path, status, reason, mse, psnr, mahalanobis, ssim, latent_knn, neg_elbo, combined, score (the --by score), anomalous (yes/no with --fpr or --threshold), heatmap (skipped inputs at the end)",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> _heatmaps = new("--heatmaps")
    {
        Description = "Folder for error heatmaps, one PNG per anomalous image (with --fpr or --threshold; else per top-K image): the image, its reconstruction, the error overlaid",
        HelpName = "DIR",
    };

    private readonly Option<string?> _grid = new("--grid")
    {
        Description = "PNG grid of the top K: original above reconstruction, captioned with the score (default: the report's name with .png)",
        HelpName = "FILE",
    };

    public OutliersCommand(CliConsole console)
        : base("outliers", "Find unusual images: rank by an anomaly score, mark those above a calibrated (--fpr) or given (--threshold) threshold; CSV report, a grid of the top K, error heatmaps. Exit code 4 when images were marked anomalous.", console)
    {
        _inputs.AddTo(this);
        Options.Add(_top);
        Options.Add(_rankBy);
        Options.Add(_fpr);
        Options.Add(_threshold);
        Options.Add(_output);
        Options.Add(_grid);
        Options.Add(_heatmaps);
        _common.AddTo(this);
        _rankBy.AcceptOnlyFromAmong([.. AnomalyScoreNames.All]);
        _fpr.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } v && !(v > 0 && v < 1))
            {
                r.AddError("--fpr must be between 0 and 1 (exclusive), e.g. 0.01.");
            }
        });
        _threshold.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } v && !double.IsFinite(v))
            {
                r.AddError("--threshold must be a finite number.");
            }
        });
        Validators.Add(r =>
        {
            if (r.GetValue(_fpr) is not null && r.GetValue(_threshold) is not null)
            {
                r.AddError("--fpr and --threshold are alternatives: give one.");
            }
        });
        _top.Validators.Add(r =>
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
          aeonnx outliers parts/ --model models/parts-good --fpr 0.01 --output parts.csv --heatmaps heatmaps/
          aeonnx outliers parts/ --by mse --threshold 0.02 --output parts.csv     (exit code 4: some marked anomalous)
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) =>
        new OutliersJob(Console, new(_inputs.Bind(parse), parse.GetValue(_top), parse.GetValue(_rankBy), parse.GetValue(_fpr), parse.GetValue(_threshold), parse.GetValue(_output)!, parse.GetValue(_grid), parse.GetValue(_heatmaps), _common.Bind(parse)))
            .RunAsync(cancellationToken);
}
