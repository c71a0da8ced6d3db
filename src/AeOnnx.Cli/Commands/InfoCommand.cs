using System.CommandLine;
using AeOnnx.Cli.Jobs;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx info</c>: what a model folder holds and where it would run.</summary>
internal sealed class InfoCommand : VerbCommand
{
    private readonly CommonOptions _common = new();

    public InfoCommand(CliConsole console)
        : base("info", "Show a model: kind, input shape and preprocessing, latent size, metrics, the provider chosen, checksums.", console)
    {
        _common.AddTo(this);
    }

    public override string Examples => """
          aeonnx info
          aeonnx info --model models/fashion-mnist-vae --device cpu
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) =>
        Task.FromResult(new InfoJob(Console, _common.Bind(parse)).Run());
}
