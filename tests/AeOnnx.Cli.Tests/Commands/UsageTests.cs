namespace AeOnnx.Cli.Tests.Commands;

public sealed class UsageTests
{
    public static TheoryData<string> Verbs => new() { "info", "encode", "decode", "reconstruct", "interpolate", "sample", "arithmetic", "outliers", "merge" };

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task Every_verb_has_help_with_examples_and_exit_codes(string verb)
    {
        var run = await CliRun.InProcessAsync(verb, "--help");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains($"aeonnx {verb}", run.Out, StringComparison.Ordinal);
        Assert.Contains("Examples:\n  aeonnx " + verb, run.Out, StringComparison.Ordinal);
        Assert.Contains("3    done, but some inputs were skipped", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Root_help_lists_every_verb()
    {
        var run = await CliRun.InProcessAsync("--help");
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        foreach (var verb in Verbs)
        {
            Assert.Contains("  " + verb, run.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("frobnicate")]
    [InlineData("encode samples --output")]
    [InlineData("encode --output x.npy")]
    [InlineData("encode a.png")]
    [InlineData("encode a.png --output x.npy --bogus")]
    [InlineData("encode a.png --output x.npy --device tpu")]
    [InlineData("encode a.png --output x.npy --batch-size 0")]
    [InlineData("encode a.png --output x.npy --shard 3/2")]
    [InlineData("interpolate a.png --output x.png")]
    [InlineData("interpolate a.png b.png --output x.png --mode cubic")]
    [InlineData("interpolate a.png b.png --output x.png --steps 1")]
    [InlineData("sample --output x.png --count 0")]
    [InlineData("sample --output x.png --seed many")]
    [InlineData("outliers a.png --output r.csv --by color")]
    [InlineData("sample --output x.png --count 5000")]
    [InlineData("outliers a.png --output r.csv --top 0")]
    [InlineData("reconstruct a.png --output d --comparison c.png --comparison-count 0")]
    [InlineData("decode --output d")]
    [InlineData("arithmetic a.png --from Shirt --output g.png")]
    [InlineData("merge --output x.npy")]
    public async Task Usage_errors_exit_2_with_a_message(string commandLine)
    {
        var run = await CliRun.InProcessAsync(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains("--help' for usage", run.Error, StringComparison.Ordinal);
    }
}
