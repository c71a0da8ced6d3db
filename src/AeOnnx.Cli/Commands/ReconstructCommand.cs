using System.CommandLine;
using AeOnnx.Cli.Jobs;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx reconstruct</c>: encode then decode each image; PNGs, per-image MSE/PSNR, optional comparison grid.</summary>
internal sealed class ReconstructCommand : VerbCommand
{
    private readonly CommonOptions _common = new();
    private readonly InputOptions _inputs = new();
    private readonly JobOptions _job = new(sharding: false);

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Folder for the reconstructed PNGs (named after the inputs; x-2.png... when names collide) and index.csv (row, path, status, reason, mse, psnr, file)",
        HelpName = "DIR",
        Required = true,
    };

    private readonly Option<string?> _comparison = new("--comparison")
    {
        Description = "Also write a PNG grid: originals (model size) above their reconstructions",
        HelpName = "FILE",
    };

    private readonly Option<int> _comparisonCount = new("--comparison-count")
    {
        Description = "How many images the comparison grid shows (the first ones done)",
        HelpName = "N",
        DefaultValueFactory = _ => 16,
    };

    public ReconstructCommand(CliConsole console)
        : base("reconstruct", "Reconstruct images through the autoencoder: PNGs, MSE/PSNR per image in the index, optional comparison grid.", console)
    {
        _inputs.AddTo(this);
        Options.Add(_output);
        Options.Add(_comparison);
        Options.Add(_comparisonCount);
        _job.AddTo(this);
        _common.AddTo(this);
        _comparisonCount.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 256)
            {
                r.AddError("--comparison-count must be between 1 and 256.");
            }
        });
    }

    public override string Examples => """
          aeonnx reconstruct samples/images --output recon/
          aeonnx reconstruct samples/images --output recon/ --comparison recon.png --comparison-count 10
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) =>
        new ReconstructJob(Console, new(_inputs.Bind(parse), parse.GetValue(_output)!, parse.GetValue(_comparison), parse.GetValue(_comparisonCount), parse.GetValue(_job.Resume), _common.Bind(parse)))
            .RunAsync(cancellationToken);
}
