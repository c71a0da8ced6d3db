using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Tests.Output;

public sealed class ProgressReporterTests
{
    [Fact]
    public void Terminal_mode_redraws_one_line_with_bar_rate_and_eta()
    {
        using var error = new StringWriter();
        var progress = new ProgressReporter(new CliConsole(TextWriter.Null, error, errorIsTerminal: true), "encode", 4, quiet: false);
        progress.Advance(ok: true);
        Assert.Contains("\rencode", error.ToString().Replace("\r\u001b[K", "\r", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("[######------------------] 1/4 25%", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("img/s ETA ", error.ToString(), StringComparison.Ordinal);
        progress.Advance(ok: false);
        progress.Finish();
        Assert.Contains("[############------------] 2/4 50%", error.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("\n", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_mode_prints_whole_lines_and_quiet_prints_nothing()
    {
        using var error = new StringWriter();
        var progress = new ProgressReporter(new CliConsole(TextWriter.Null, error, errorIsTerminal: false), "encode", 3, quiet: false);
        for (var i = 0; i < 3; i++)
        {
            progress.Advance(ok: i != 1);
        }

        progress.Finish();
        Assert.StartsWith("encode: 3/3 100% ", error.ToString(), StringComparison.Ordinal);
        Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("1 skipped", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain('\r', error.ToString());

        using var quietError = new StringWriter();
        var quiet = new ProgressReporter(new CliConsole(TextWriter.Null, quietError, errorIsTerminal: true), "encode", 3, quiet: true);
        quiet.Advance(ok: true);
        quiet.Finish();
        Assert.Equal(string.Empty, quietError.ToString());
    }
}
