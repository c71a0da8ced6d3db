using System.CommandLine;
using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Commands;

/// <summary>
/// <c>aeonnx merge</c>: joins the outputs of <c>encode --shard K/N</c> runs (npy + index) into the output the
/// unsharded run would have written, byte for byte.
/// </summary>
internal sealed class MergeCommand : VerbCommand
{
    private readonly Argument<string[]> shards = new("SHARD")
    {
        Description = "The .npy outputs of the shard runs (each with its NAME.index.csv and NAME.shard.json), in any order",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string> output = new("--output", "-o")
    {
        Description = "Merged .npy; its index is written beside it as NAME.index.csv",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> csv = new("--csv")
    {
        Description = "Also write the merged latents as CSV (path, z0, z1, ...)",
        HelpName = "FILE",
    };

    private readonly Option<bool> quiet = new("--quiet", "-q") { Description = "No summary" };

    public MergeCommand(CliConsole console)
        : base("merge", "Join the outputs of 'encode --shard K/N' runs, in the original input order.", console)
    {
        Arguments.Add(shards);
        Options.Add(output);
        Options.Add(csv);
        Options.Add(quiet);
    }

    public override string Examples => """
          aeonnx merge part1.npy part2.npy --output latents.npy
            after: aeonnx encode imgs --shard 1/2 --output part1.npy
                   aeonnx encode imgs --shard 2/2 --output part2.npy
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var parts = new List<(ShardInfo Info, LatentOutputPaths Paths)>();
        foreach (string shard in parse.GetValue(shards)!)
        {
            var paths = new LatentOutputPaths(shard);
            foreach (string needed in new[] { paths.Npy, paths.Index, paths.ShardInfo })
            {
                if (!File.Exists(needed))
                {
                    throw CliException.Usage($"'{needed}' does not exist (merge needs each shard's .npy, .index.csv and .shard.json).");
                }
            }

            parts.Add((ReadShardInfo(paths.ShardInfo), paths));
        }

        parts.Sort((a, b) => a.Info.Shard.CompareTo(b.Info.Shard));
        ShardInfo first = parts[0].Info;
        for (int i = 0; i < parts.Count; i++)
        {
            ShardInfo info = parts[i].Info;
            if (info.Job != first.Job || info.Count != first.Count || info.Inputs != first.Inputs || info.Dim != first.Dim)
            {
                throw CliException.Usage($"'{parts[i].Paths.Npy}' comes from another job than '{parts[0].Paths.Npy}' (other inputs, model or options).");
            }

            if (info.Shard != i + 1)
            {
                string missing = string.Join(", ", Enumerable.Range(1, first.Count).Except(parts.Select(p => p.Info.Shard)).Select(k => $"{k}/{first.Count}"));
                throw CliException.Usage(missing.Length > 0 ? $"shard(s) {missing} missing." : $"shard {info.Shard}/{info.Count} given twice.");
            }
        }

        if (parts.Count != first.Count)
        {
            string missing = string.Join(", ", Enumerable.Range(parts.Count + 1, first.Count - parts.Count).Select(k => $"{k}/{first.Count}"));
            throw CliException.Usage($"shard(s) {missing} missing.");
        }

        var entries = new List<IndexEntry>();
        long rows = 0;
        foreach ((ShardInfo info, LatentOutputPaths paths) in parts)
        {
            (bool _, List<IndexEntry> shardEntries) = IndexCsv.Read(paths.Index);
            if (shardEntries.Count != info.Length)
            {
                throw CliException.Fatal($"'{paths.Index}' has {shardEntries.Count} lines, its shard file says {info.Length}.");
            }

            foreach (IndexEntry entry in shardEntries)
            {
                entries.Add(entry.IsOk ? entry with { Row = rows++ } : entry);
            }
        }

        var target = new LatentOutputPaths(parse.GetValue(output)!);
        AtomicFile.CheckWritable(target.Npy);
        AtomicFile.Write(target.Npy, stream =>
        {
            stream.Write(NpyFile.Header(rows, first.Dim));
            var row = new float[first.Dim];
            foreach ((ShardInfo _, LatentOutputPaths paths) in parts)
            {
                using NpyReader reader = OpenNpy(paths.Npy, first.Dim);
                for (long r = 0; r < reader.Rows; r++)
                {
                    reader.ReadRow(row);
                    NpyFile.WriteValues(stream, row);
                }
            }
        });
        IndexCsv.Write(target.Index, entries, withErrors: false);
        if (parse.GetValue(csv) is { } csvPath)
        {
            LatentCsv.Write(csvPath, target.Npy, entries);
        }

        int skipped = entries.Count(e => !e.IsOk);
        if (!parse.GetValue(quiet))
        {
            Console.Out.WriteLine($"merged {parts.Count} shards: {rows} latents of {first.Dim} values, {skipped} inputs skipped -> {parse.GetValue(output)}");
        }

        return Task.FromResult(skipped > 0 ? ExitCodes.SomeInputsSkipped : ExitCodes.Success);
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
        NpyReader reader = NpyReader.Open(path);
        if (reader.Columns != dim)
        {
            reader.Dispose();
            throw CliException.Fatal($"'{path}' has {reader.Columns} columns, expected {dim}.");
        }

        return reader;
    }
}
