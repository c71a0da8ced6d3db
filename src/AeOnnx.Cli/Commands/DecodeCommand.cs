using System.CommandLine;
using AeOnnx.Cli.Jobs;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx decode</c>: latent vectors (.npy, CSV or --latent) to one PNG each.</summary>
internal sealed class DecodeCommand : VerbCommand
{
    private readonly CommonOptions _common = new();
    private readonly JobOptions _job = new(sharding: false);

    private readonly Argument<string?> _latents = new("LATENTS")
    {
        Description = "A .npy [N, D] (as written by encode) or a CSV of latents (one vector a line, optional name column and header)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<string[]> _latent = new("--latent")
    {
        Description = "One latent vector on the command line: \"0.1,0.2,...\" (repeatable)",
        HelpName = "VALUES",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Folder for the PNG images (000000.png, ... by row) and index.csv (row, file, source, status, reason; source: the .npy row or the CSV line's name)",
        HelpName = "DIR",
        Required = true,
    };

    public DecodeCommand(CliConsole console)
        : base("decode", "Decode latent vectors to images: one PNG per row of a .npy or CSV, or per --latent.", console)
    {
        Arguments.Add(_latents);
        Options.Add(_latent);
        Options.Add(_output);
        _job.AddTo(this);
        _common.AddTo(this);
    }

    public override string Examples => """
          aeonnx decode latents.npy --output decoded/
          aeonnx decode latents.csv --output decoded/
          aeonnx decode --latent "0.1,-1.2,0.5,..." --output one/
          aeonnx decode latents.npy --output decoded/ --resume
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) =>
        Task.FromResult(new DecodeJob(Console, new(parse.GetValue(_latents), parse.GetValue(_latent) ?? [], parse.GetValue(_output)!, parse.GetValue(_job.Resume), _common.Bind(parse)))
            .Run(cancellationToken));
}
