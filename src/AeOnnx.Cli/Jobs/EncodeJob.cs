using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// <c>aeonnx encode</c>: images to a float32 .npy of latents plus an index CSV, streaming and resumable;
/// with <c>--shard K/N</c> the K-th block of the inputs and its shard file for <c>merge</c>. Latents go to
/// a part file first (flushed before their journal lines), then into the .npy under its final name.
/// </summary>
internal sealed class EncodeJob(CliConsole console, EncodeJob.Settings settings)
{
    internal sealed record Settings(InputSelection Inputs, string Output, string? Csv, ShardSpec? Shard, bool Resume, ModelSettings Model);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var shard = settings.Shard;
        var paths = new LatentOutputPaths(settings.Output);
        var outputs = new JobOutputs()
            .File("--output", settings.Output)
            .File("--csv", settings.Csv)
            .File("the index", paths.Index)
            .File("the shard file", shard is null ? null : paths.ShardInfo)
            .File("the journal", paths.Journal)
            .File("the part file", paths.Part);
        using var job = Job.Open(console, "encode", settings.Model.Quiet, outputs, paths.Lock, settings.Inputs.Resolve(outputs), writable: [paths.Npy, settings.Csv]);
        AtomicFile.DeleteStaleTemporaries(Path.GetDirectoryName(Path.GetFullPath(paths.Npy))!, [Path.GetFileName(paths.Npy), Path.GetFileName(paths.Index)]);
        using var model = settings.Model.Load(console);
        var items = job.Items;
        var jobId = new JobFingerprint("encode", model).AddInputs(items).ToString();
        (var start, var length) = shard?.Range(items.Count) ?? (0, items.Count);
        var mine = items.Skip(start).Take(length).ToList();

        // The part file is opened first so that it is disposed last: disposing the run commits what is pending.
        using var part = new FileStream(paths.Part, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        using var run = job.Journal(paths.Journal, jobId + (shard is null ? string.Empty : "/" + shard), settings.Resume, mine.Count, withErrors: false);
        await EncodeAsync(model, mine, part, run, paths, cancellationToken);
        WriteOutputs(model, part, run, paths);
        if (shard is { } s)
        {
            new ShardInfo(ShardInfo.CurrentFormat, s.Index, s.Count, items.Count, start, length, model.LatentDim, jobId).Write(paths.ShardInfo);
        }

        run.Complete();
        run.BeforeCommit = null;
        part.Dispose();
        File.Delete(paths.Part);
        return job.Finish(run.SkippedCount, $"encoded {run.OkCount} of {mine.Count} images ({run.SkippedCount} skipped) -> {settings.Output} [{run.OkCount}, {model.LatentDim}], index {IndexDisplayPath(settings.Output)}");
    }

    /// <summary>Encodes the inputs the journal does not list yet, appending each latent to the part file.</summary>
    private async Task EncodeAsync(Autoencoder model, List<InputItem> mine, FileStream part, ResumableRun run, LatentOutputPaths paths, CancellationToken cancellationToken)
    {
        var dim = model.LatentDim;
        var committedBytes = run.OkCount * dim * sizeof(float);
        if (part.Length < committedBytes)
        {
            throw CliException.Fatal($"--resume: '{paths.Part}' is shorter than its journal says; run without --resume to start over.");
        }

        part.SetLength(committedBytes);
        part.Position = committedBytes;
        run.BeforeCommit = () => part.Flush(flushToDisk: true);

        var remaining = mine.Skip(run.Resumed).ToList();
        var pipelineOptions = settings.Model.Pipeline(model);
        await foreach (var outcome in Job.StreamAsync(remaining, (files, ct) => model.EncodeFilesAsync(files, pipelineOptions, ct), cancellationToken))
        {
            var item = outcome.Item;
            if (outcome.IsOk)
            {
                NpyWriter.WriteValues(part, outcome.Latent.AsSpan(0, dim));
                run.Add(new IndexEntry(run.OkCount, item.DisplayPath, IndexEntry.Ok, string.Empty));
            }
            else
            {
                run.Add(new IndexEntry(null, item.DisplayPath, IndexEntry.Skipped, outcome.SkipReason!));
            }
        }

        run.Commit();
    }

    /// <summary>The .npy (header + the part file's rows), the index and the CSV, each under its final name at once.</summary>
    private void WriteOutputs(Autoencoder model, FileStream part, ResumableRun run, LatentOutputPaths paths)
    {
        var rows = run.OkCount;
        part.Position = 0;
        AtomicFile.Write(paths.Npy, stream =>
        {
            stream.Write(NpyWriter.Header(rows, model.LatentDim));
            part.CopyTo(stream);
        });
        run.WriteIndex(paths.Index);
        if (settings.Csv is { } csvPath)
        {
            LatentCsv.Write(csvPath, paths.Npy, IndexCsv.Read(paths.Index).Entries);
        }
    }

    private static string IndexDisplayPath(string npy)
    {
        var folder = Path.GetDirectoryName(npy);
        var name = Path.GetFileNameWithoutExtension(npy) + ".index.csv";
        return string.IsNullOrEmpty(folder) ? name : Path.Combine(folder, name);
    }
}
