using System.CommandLine;
using AeOnnx.Cli.Jobs;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx encode</c>: images to a float32 .npy of latents plus an index CSV, streaming.</summary>
internal sealed class EncodeCommand : VerbCommand
{
    private readonly CommonOptions _common = new();
    private readonly InputOptions _inputs = new();
    private readonly JobOptions _job = new(sharding: true);

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Latents as float32 .npy [N, D] (rows: images encoded, in input order); the index goes to NAME.index.csv",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> _csv = new("--csv")
    {
        Description = "Also write the latents as CSV (path, z0, z1, ...)",
        HelpName = "FILE",
    };

    public EncodeCommand(CliConsole console)
        : base("encode", "Encode images to latent vectors: a float32 .npy [N, D] plus NAME.index.csv (row, path, status, reason).", console)
    {
        _inputs.AddTo(this);
        Options.Add(_output);
        Options.Add(_csv);
        _job.AddTo(this);
        _common.AddTo(this);
    }

    public override string Examples => """
          aeonnx encode samples/images --output latents.npy
          aeonnx encode 'photos/**/*.jpg' --output latents.npy --csv latents.csv
          aeonnx encode @files.txt --output latents.npy --resume
          aeonnx encode big/ --shard 1/4 --output part1.npy      (then: aeonnx merge part*.npy --output all.npy)
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) =>
        new EncodeJob(Console, new(_inputs.Bind(parse), parse.GetValue(_output)!, parse.GetValue(_csv), _job.GetShard(parse), parse.GetValue(_job.Resume), _common.Bind(parse)))
            .RunAsync(cancellationToken);
}
