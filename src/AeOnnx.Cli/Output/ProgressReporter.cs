using System.Diagnostics;
using System.Globalization;

namespace AeOnnx.Cli.Output;

/// <summary>
/// Progress of a job on stderr: on a terminal one redrawn line with a bar, rate and ETA; otherwise
/// (redirected to a file or CI log) a plain line every few seconds. Silent with <c>--quiet</c>.
/// </summary>
internal sealed class ProgressReporter
{
    private readonly TextWriter writer;
    private readonly bool terminal;
    private readonly bool quiet;
    private readonly string label;
    private readonly long total;
    private readonly long alreadyDone;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly TimeSpan plainInterval;
    private TimeSpan lastDraw;
    private long done;
    private long skipped;

    public ProgressReporter(CliConsole console, string label, long total, bool quiet, long alreadyDone = 0, TimeSpan? plainInterval = null)
    {
        writer = console.Error;
        terminal = console.ErrorIsTerminal;
        this.quiet = quiet;
        this.label = label;
        this.total = total;
        this.alreadyDone = alreadyDone;
        done = alreadyDone;
        this.plainInterval = plainInterval ?? TimeSpan.FromSeconds(5);
    }

    public long Done => done;

    public long Skipped => skipped;

    public void Advance(bool ok)
    {
        done++;
        if (!ok)
        {
            skipped++;
        }

        if (quiet)
        {
            return;
        }

        // Plain lines come one interval apart, the first after one interval, so short jobs print the final line alone.
        var now = clock.Elapsed;
        if (now - lastDraw >= (terminal ? TimeSpan.FromMilliseconds(100) : plainInterval) || (terminal && done == alreadyDone + 1))
        {
            lastDraw = now;
            Draw(final: false);
        }
    }

    /// <summary>A warning about one input (printed above the bar).</summary>
    public void Warn(string message)
    {
        if (quiet)
        {
            return;
        }

        if (terminal)
        {
            writer.Write("\r\u001b[K");
        }

        writer.WriteLine(message);
    }

    public void Finish()
    {
        if (!quiet)
        {
            Draw(final: true);
        }
    }

    internal string Describe()
    {
        double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-6);
        double rate = (done - alreadyDone) / seconds;
        string percent = total == 0 ? "100%" : ((100.0 * done) / total).ToString("0", CultureInfo.InvariantCulture) + "%";
        string eta = rate > 0 && done < total ? " ETA " + FormatSpan(TimeSpan.FromSeconds((total - done) / rate)) : string.Empty;
        string skippedText = skipped > 0 ? $", {skipped} skipped" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{done}/{total} {percent} {rate:0.0} img/s{eta}{skippedText}");
    }

    private void Draw(bool final)
    {
        if (terminal)
        {
            const int width = 24;
            int filled = total == 0 ? width : (int)(width * done / total);
            string bar = new string('#', filled) + new string('-', width - filled);
            writer.Write($"\r\u001b[K{label} [{bar}] {Describe()}");
            if (final)
            {
                writer.WriteLine();
            }
        }
        else
        {
            writer.WriteLine($"{label}: {Describe()}");
        }

        writer.Flush();
    }

    private static string FormatSpan(TimeSpan span) =>
        span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : span.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
