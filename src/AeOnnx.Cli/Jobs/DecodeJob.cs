using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// <c>aeonnx decode</c>: latent vectors (.npy, CSV or <c>--latent</c>) to one PNG each, named by row, and
/// <c>index.csv</c> (row, file, source, status, reason); resumable like the other streaming jobs. The
/// journal lists every row in order (its row column counts the PNGs written, as encode's counts .npy rows),
/// so an interrupted run continues at the first row it does not list and ends with the same files.
/// </summary>
internal sealed class DecodeJob(CliConsole console, DecodeJob.Settings settings)
{
    internal sealed record Settings(string? Latents, string[] Vectors, string Output, bool Resume, ModelSettings Model);

    public int Run(CancellationToken cancellationToken)
    {
        var source = settings.Latents;
        if ((source is null) == (settings.Vectors.Length == 0))
        {
            throw CliException.Usage("give either LATENTS (a .npy or .csv file) or --latent \"v1,v2,...\", not both.");
        }

        if (source is not null && !File.Exists(source))
        {
            throw CliException.Usage($"'{source}' does not exist.");
        }

        var fromCommandLine = settings.Vectors.Select(LatentCsv.ParseVector).ToList();
        var folder = Path.GetFullPath(settings.Output);
        var outputs = new JobOutputs().Folder("--output", settings.Output);
        var latentsFile = source is null ? null : new InputItem(0, source, Path.GetFullPath(source));
        using var job = Job.Open(console, "decode", settings.Model.Quiet, outputs, Path.Combine(folder, ".aeonnx-lock"), [], latentsFile is null ? null : [(latentsFile.DisplayPath, latentsFile.FullPath)], Path.Combine(folder, "index.csv"));
        var before = ExistingPngs(folder);
        using var model = settings.Model.Load(console);
        using var rows = LatentRows.Open(source, fromCommandLine, model.LatentDim, out var count);
        var names = new RowFiles(count);
        AtomicFile.DeleteStaleTemporaries(folder, name => name == "index.csv" || names.Owns(name));
        var fingerprint = new JobFingerprint("decode", model);
        if (latentsFile is null)
        {
            fingerprint.Add("latents", string.Join('\n', settings.Vectors));
        }
        else
        {
            fingerprint.AddInputs([latentsFile]);
        }

        using var run = job.Journal(Path.Combine(folder, ".aeonnx-journal"), fingerprint.ToString(), settings.Resume, count, withErrors: false);

        // The rows an earlier run decoded are read past, not decoded again: their PNGs are in place.
        var entries = new List<IndexEntry>(run.Completed);
        for (long done = 0; done < run.Resumed; done++)
        {
            rows.MoveNext();
        }

        var batchSize = (int)Math.Min(settings.Model.BatchSize, Math.Max(1, count));
        DecodeRows(model, rows, run.Resumed, batchSize, folder, names, run, entries, cancellationToken);
        run.Finish();

        // The index lists every row, in order, with the file each done row was written to.
        CsvText.WriteFile(
            Path.Combine(folder, "index.csv"),
            ["row", "file", "source", "status", "reason"],
            entries.Select((e, row) => new[] { row.ToString(CultureInfo.InvariantCulture), e.IsOk ? names.Of(row) : string.Empty, e.Path, e.Status, e.Reason }));
        var written = entries.Select((e, row) => e.IsOk ? names.Of(row) : null).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var stale = before.Where(f => !written.Contains(f)).Order(StringComparer.Ordinal).ToList();
        if (stale.Count > 0)
        {
            // Not deleted (they may be the user's), but said: a folder listing would otherwise mix two runs.
            console.Error.WriteLine($"decode: note: '{settings.Output}' also holds {stale.Count} PNG(s) this run did not write (e.g. {stale[0]}); index.csv lists this run's files.");
        }

        run.Complete();
        return job.Finish(run.SkippedCount, $"decoded {run.OkCount} of {entries.Count} latents ({run.SkippedCount} skipped) -> {settings.Output} ({model.Width}x{model.Height} PNG each; index.csv maps rows to files)");
    }

    /// <summary>
    /// Decodes the rows left, a batch of finite latents at a time (a non-finite latent is reported and
    /// skipped, never decoded into a black image), and records every row in order once its PNG is written.
    /// </summary>
    private static void DecodeRows(Autoencoder model, IEnumerator<(string Name, float[] Vector)> rows, long firstRow, int batchSize, string folder, RowFiles names, ResumableRun run, List<IndexEntry> entries, CancellationToken cancellationToken)
    {
        var row = firstRow;
        var read = new List<(long Row, string Name, float[] Vector, string? Skip)>();
        var more = true;
        while (more)
        {
            read.Clear();
            var finite = 0;
            while (finite < batchSize && (more = rows.MoveNext()))
            {
                (var name, var vector) = rows.Current;
                var skip = FailureReason.NonFiniteLatent(vector);
                finite += skip is null ? 1 : 0;
                read.Add((row++, name, vector, skip));
            }

            float[][] images = [];
            if (finite > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                images = model.DecodeBatch(read.Where(r => r.Skip is null).Select(r => r.Vector).ToList());
            }

            var next = 0;
            foreach (var (at, name, _, skip) in read)
            {
                var reason = skip;
                if (reason is null)
                {
                    var image = images[next++];
                    reason = FailureReason.NonFinite("decoded image", image);
                    if (reason is null)
                    {
                        ImageFiles.SavePng(model.Images.ToImage(image), Path.Combine(folder, names.Of(at)));
                    }
                }

                var entry = reason is null
                    ? new IndexEntry(run.OkCount, name, IndexEntry.Ok, string.Empty)
                    : new IndexEntry(null, name, IndexEntry.Skipped, reason);
                entries.Add(entry);
                run.Add(entry);
            }
        }
    }

    private static HashSet<string> ExistingPngs(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.png").Select(f => Path.GetFileName(f)).ToHashSet(StringComparer.Ordinal)
            : [];

    /// <summary>The PNG of each row: its number, zero-padded to the width of the largest (at least 6 digits).</summary>
    private sealed class RowFiles(long count)
    {
        private readonly int _digits = Math.Max(6, count.ToString(CultureInfo.InvariantCulture).Length);

        public string Of(long row) => row.ToString(CultureInfo.InvariantCulture).PadLeft(_digits, '0') + ".png";

        /// <summary>Whether <paramref name="name"/> is the PNG of one of the rows (not listed: rows can be millions).</summary>
        public bool Owns(string name) =>
            name.Length == _digits + 4
            && name.EndsWith(".png", StringComparison.Ordinal)
            && name.AsSpan(0, _digits).IndexOfAnyExceptInRange('0', '9') < 0
            && long.Parse(name.AsSpan(0, _digits), CultureInfo.InvariantCulture) < count;
    }
}
