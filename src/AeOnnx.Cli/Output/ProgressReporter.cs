using System.Diagnostics;
using System.Globalization;

namespace AeOnnx.Cli.Output;

/// <summary>
/// Progress of a job on stderr: on a terminal one redrawn line with a bar, rate and ETA; otherwise
/// (redirected to a file or CI log) a plain line every few seconds. Silent with <c>--quiet</c>.
/// </summary>
internal sealed class ProgressReporter
{
    private readonly TextWriter _writer;
    private readonly bool _terminal;
    private readonly bool _quiet;
    private readonly string _label;
    private readonly long _total;
    private readonly long _alreadyDone;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _plainInterval;
    private TimeSpan _lastDraw;
    private long _done;
    private long _skipped;

    public ProgressReporter(CliConsole console, string label, long total, bool quiet, long alreadyDone = 0, TimeSpan? plainInterval = null)
    {
        _writer = console.Error;
        _terminal = console.ErrorIsTerminal;
        this._quiet = quiet;
        this._label = label;
        this._total = total;
        this._alreadyDone = alreadyDone;
        _done = alreadyDone;
        this._plainInterval = plainInterval ?? TimeSpan.FromSeconds(5);
    }

    public long Done => _done;

    public long Skipped => _skipped;

    public void Advance(bool ok)
    {
        _done++;
        if (!ok)
        {
            _skipped++;
        }

        if (_quiet)
        {
            return;
        }

        // Plain lines come one interval apart, the first after one interval, so short jobs print the final line alone.
        var now = _clock.Elapsed;
        if (now - _lastDraw >= (_terminal ? TimeSpan.FromMilliseconds(100) : _plainInterval) || (_terminal && _done == _alreadyDone + 1))
        {
            _lastDraw = now;
            Draw(final: false);
        }
    }

    /// <summary>A warning about one input (printed above the bar).</summary>
    public void Warn(string message)
    {
        if (_quiet)
        {
            return;
        }

        if (_terminal)
        {
            _writer.Write("\r\u001b[K");
        }

        _writer.WriteLine(message);
    }

    public void Finish()
    {
        if (!_quiet)
        {
            Draw(final: true);
        }
    }

    internal string Describe()
    {
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-6);
        var rate = (_done - _alreadyDone) / seconds;
        var percent = _total == 0 ? "100%" : ((100.0 * _done) / _total).ToString("0", CultureInfo.InvariantCulture) + "%";
        var eta = rate > 0 && _done < _total ? " ETA " + FormatSpan(TimeSpan.FromSeconds((_total - _done) / rate)) : string.Empty;
        var skippedText = _skipped > 0 ? $", {_skipped} skipped" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{_done}/{_total} {percent} {rate:0.0} img/s{eta}{skippedText}");
    }

    private void Draw(bool final)
    {
        if (_terminal)
        {
            const int width = 24;
            var filled = _total == 0 ? width : (int)(width * _done / _total);
            var bar = new string('#', filled) + new string('-', width - filled);
            _writer.Write($"\r\u001b[K{_label} [{bar}] {Describe()}");
            if (final)
            {
                _writer.WriteLine();
            }
        }
        else
        {
            _writer.WriteLine($"{_label}: {Describe()}");
        }

        _writer.Flush();
    }

    private static string FormatSpan(TimeSpan span) =>
        span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : span.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
