using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// <c>aeonnx merge</c>: joins the outputs of <c>encode --shard K/N</c> runs (npy + index) into the output the
/// unsharded run would have written, byte for byte. Every part is checked before anything is written.
/// </summary>
internal sealed class MergeJob(CliConsole console, MergeJob.Settings settings)
{
    internal sealed record Settings(string[] Shards, string Output, string? Csv, bool Quiet);

    public int Run()
    {
        var parts = ReadParts();
        var first = parts[0].Info;
        var (entries, rows) = Entries(parts);
        var target = new LatentOutputPaths(settings.Output);
        var outputs = new JobOutputs()
            .File("--output", settings.Output)
            .File("the merged index", target.Index)
            .File("--csv", settings.Csv);
        var shardFiles = parts.SelectMany(p => new[] { p.Paths.Npy, p.Paths.Index, p.Paths.ShardInfo }).Select(f => (f, Path.GetFullPath(f)));
        using var job = Job.Open(console, "merge", settings.Quiet, outputs, target.Lock, [], shardFiles, target.Npy);
        AtomicFile.Write(target.Npy, stream =>
        {
            stream.Write(NpyWriter.Header(rows, first.Dim));
            var row = new float[first.Dim];
            foreach ((var _, var paths) in parts)
            {
                using var reader = OpenNpy(paths.Npy, first.Dim);
                for (long r = 0; r < reader.Rows; r++)
                {
                    reader.ReadRow(row);
                    NpyWriter.WriteValues(stream, row);
                }
            }
        });
        IndexCsv.Write(target.Index, entries, withErrors: false);
        if (settings.Csv is { } csvPath)
        {
            LatentCsv.Write(csvPath, target.Npy, entries);
        }

        var skipped = entries.Count(e => !e.IsOk);
        return job.Finish(skipped, $"merged {parts.Count} shards: {rows} latents of {first.Dim} values, {skipped} inputs skipped -> {settings.Output}");
    }

    /// <summary>The shards given, each once, all N of one job, in K order.</summary>
    private List<(ShardInfo Info, LatentOutputPaths Paths)> ReadParts()
    {
        var parts = new List<(ShardInfo Info, LatentOutputPaths Paths)>();
        var given = new Dictionary<string, string>(CanonicalPath.Comparer);
        foreach (var shard in settings.Shards)
        {
            var paths = new LatentOutputPaths(shard);
            if (!given.TryAdd(CanonicalPath.Of(paths.Npy), shard))
            {
                throw CliException.Usage($"'{shard}' is given twice (as '{given[CanonicalPath.Of(paths.Npy)]}' too); name each shard once.");
            }

            foreach (var needed in new[] { paths.Npy, paths.Index, paths.ShardInfo })
            {
                if (!File.Exists(needed))
                {
                    throw CliException.Usage($"'{needed}' does not exist (merge needs each shard's .npy, .index.csv and .shard.json).");
                }
            }

            parts.Add((ReadShardInfo(paths.ShardInfo), paths));
        }

        parts.Sort((a, b) => a.Info.Shard.CompareTo(b.Info.Shard));
        var first = parts[0].Info;
        for (var i = 0; i < parts.Count; i++)
        {
            var info = parts[i].Info;
            if (info.Job != first.Job || info.Count != first.Count || info.Inputs != first.Inputs || info.Dim != first.Dim)
            {
                throw CliException.Usage($"'{parts[i].Paths.Npy}' comes from another job than '{parts[0].Paths.Npy}' (other inputs, model, preprocessing or options).");
            }

            if (i > 0 && info.Shard == parts[i - 1].Info.Shard)
            {
                throw CliException.Usage($"shard {info.Shard}/{info.Count} is given twice: '{parts[i - 1].Paths.Npy}' and '{parts[i].Paths.Npy}'.");
            }
        }

        if (parts.Count != first.Count)
        {
            throw CliException.Usage(MissingMessage(parts.Select(p => p.Info.Shard).ToList(), first.Count));
        }

        return parts;
    }

    /// <summary>The merged index (rows renumbered), after checking each part's index and .npy agree.</summary>
    private static (List<IndexEntry> Entries, long Rows) Entries(List<(ShardInfo Info, LatentOutputPaths Paths)> parts)
    {
        var entries = new List<IndexEntry>();
        long rows = 0;
        foreach ((var info, var paths) in parts)
        {
            var shardEntries = IndexCsv.Read(paths.Index).Entries;
            if (shardEntries.Count != info.Length)
            {
                throw CliException.Usage($"'{paths.Index}' has {shardEntries.Count} records, its shard file says {info.Length}; the shard's files do not belong together (run that shard again).");
            }

            long ok = shardEntries.Count(e => e.IsOk);
            using (var reader = OpenNpy(paths.Npy, parts[0].Info.Dim))
            {
                if (reader.Rows != ok)
                {
                    throw CliException.Usage($"'{paths.Npy}' has {reader.Rows} rows, its index '{paths.Index}' lists {ok} encoded inputs; the shard's files do not belong together (run that shard again).");
                }
            }

            foreach (var entry in shardEntries)
            {
                entries.Add(entry.IsOk ? entry with { Row = rows++ } : entry);
            }
        }

        return (entries, rows);
    }

    /// <summary>Names at most a few missing parts: the message stays short whatever N the parts claim.</summary>
    private static string MissingMessage(List<int> present, int count)
    {
        var have = present.ToHashSet();
        var firstMissing = Enumerable.Range(1, count).Where(k => !have.Contains(k)).Take(5).ToList();
        var missing = count - have.Count;
        var listed = string.Join(", ", firstMissing.Select(k => $"{k}/{count}"));
        return missing > firstMissing.Count
            ? $"{missing} of {count} shards missing ({listed}, ...); {have.Count} given."
            : $"shard(s) {listed} missing.";
    }

    private static ShardInfo ReadShardInfo(string path)
    {
        try
        {
            return ShardInfo.Read(path);
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException)
        {
            throw CliException.Fatal($"'{path}': {e.Message}", e);
        }
    }

    private static NpyReader OpenNpy(string path, int dim)
    {
        NpyReader reader;
        try
        {
            reader = NpyReader.Open(path);
        }
        catch (InvalidDataException e)
        {
            throw CliException.Usage($"'{path}': {e.Message}");
        }

        if (reader.Columns != dim)
        {
            reader.Dispose();
            throw CliException.Usage($"'{path}' has {reader.Columns} columns, its shard file says {dim}.");
        }

        return reader;
    }
}
