using System.CommandLine;
using AeOnnx.Cli.Jobs;

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

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) =>
        new OutliersJob(Console, new(inputs.Bind(parse), parse.GetValue(top), parse.GetValue(rankBy) == "mahalanobis", parse.GetValue(output)!, parse.GetValue(grid), common.Bind(parse)))
            .RunAsync(cancellationToken);
}
