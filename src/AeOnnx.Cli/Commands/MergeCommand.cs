using System.CommandLine;
using AeOnnx.Cli.Jobs;

namespace AeOnnx.Cli.Commands;

/// <summary>
/// <c>aeonnx merge</c>: joins the outputs of <c>encode --shard K/N</c> runs (npy + index) into the output the
/// unsharded run would have written, byte for byte.
/// </summary>
internal sealed class MergeCommand : VerbCommand
{
    private readonly Argument<string[]> _shards = new("SHARD")
    {
        Description = "The .npy outputs of the shard runs (each with its NAME.index.csv and NAME.shard.json), in any order",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Merged .npy; its index is written beside it as NAME.index.csv",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> _csv = new("--csv")
    {
        Description = "Also write the merged latents as CSV (path, z0, z1, ...)",
        HelpName = "FILE",
    };

    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "No summary" };

    public MergeCommand(CliConsole console)
        : base("merge", "Join the outputs of 'encode --shard K/N' runs, in the original input order.", console)
    {
        Arguments.Add(_shards);
        Options.Add(_output);
        Options.Add(_csv);
        Options.Add(_quiet);
    }

    public override string Examples => """
          aeonnx merge part1.npy part2.npy --output latents.npy
            after: aeonnx encode imgs --shard 1/2 --output part1.npy
                   aeonnx encode imgs --shard 2/2 --output part2.npy
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) =>
        Task.FromResult(new MergeJob(Console, new(parse.GetValue(_shards)!, parse.GetValue(_output)!, parse.GetValue(_csv), parse.GetValue(_quiet))).Run());
}
