using System.CommandLine;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx encode</c>: images to a float32 .npy of latents plus an index CSV, streaming.</summary>
internal sealed class EncodeCommand : VerbCommand
{
    private readonly CommonOptions common = new();
    private readonly InputOptions inputs = new();
    private readonly JobOptions job = new(sharding: true);

    private readonly Option<string> output = new("--output", "-o")
    {
        Description = "Latents as float32 .npy [N, D] (rows: images encoded, in input order); the index goes to NAME.index.csv",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> csv = new("--csv")
    {
        Description = "Also write the latents as CSV (path, z0, z1, ...)",
        HelpName = "FILE",
    };

    public EncodeCommand(CliConsole console)
        : base("encode", "Encode images to latent vectors: a float32 .npy [N, D] plus NAME.index.csv (row, path, status, reason).", console)
    {
        inputs.AddTo(this);
        Options.Add(output);
        Options.Add(csv);
        job.AddTo(this);
        common.AddTo(this);
    }

    public override string Examples => """
          aeonnx encode samples/images --output latents.npy
          aeonnx encode 'photos/**/*.jpg' --output latents.npy --csv latents.csv
          aeonnx encode @files.txt --output latents.npy --resume
          aeonnx encode big/ --shard 1/4 --output part1.npy      (then: aeonnx merge part*.npy --output all.npy)
        """;

    private static string IndexDisplayPath(string npy)
    {
        string? folder = Path.GetDirectoryName(npy);
        string name = Path.GetFileNameWithoutExtension(npy) + ".index.csv";
        return string.IsNullOrEmpty(folder) ? name : Path.Combine(folder, name);
    }

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var shard = job.GetShard(parse);
        var paths = new LatentOutputPaths(parse.GetValue(output)!);
        string? csvPath = parse.GetValue(csv);
        bool quiet = parse.GetValue(common.Quiet);
        var outputs = new JobOutputs()
            .File("--output", parse.GetValue(output))
            .File("--csv", csvPath)
            .File("the index", paths.Index)
            .File("the shard file", shard is null ? null : paths.ShardInfo)
            .File("the journal", paths.Journal)
            .File("the part file", paths.Part);
        using StreamingJob streamingJob = StreamingJob.Start(parse, inputs, outputs, paths.Lock);
        var items = streamingJob.Items;
        OutputFiles.CheckWritable(paths.Npy);
        if (csvPath is not null)
        {
            OutputFiles.CheckWritable(csvPath);
        }

        AtomicFile.DeleteStaleTemporaries(Path.GetDirectoryName(Path.GetFullPath(paths.Npy))!, [Path.GetFileName(paths.Npy), Path.GetFileName(paths.Index)]);
        using var model = common.LoadModel(parse, Console);
        int dim = model.LatentDim;
        string jobId = new JobFingerprint("encode", model).AddInputs(items).ToString();
        (int start, int length) = shard?.Range(items.Count) ?? (0, items.Count);
        List<InputItem> mine = items.Skip(start).Take(length).ToList();

        // The part file is opened first so that it is disposed last: disposing the run commits what is pending.
        using var part = new FileStream(paths.Part, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        using var run = new ResumableRun(Console, "encode", paths.Journal, jobId + (shard is null ? string.Empty : "/" + shard), parse.GetValue(job.Resume), quiet, mine.Count, withErrors: false);
        long committedBytes = run.OkCount * dim * sizeof(float);
        if (part.Length < committedBytes)
        {
            throw CliException.Fatal($"--resume: '{paths.Part}' is shorter than its journal says; run without --resume to start over.");
        }

        part.SetLength(committedBytes);
        part.Position = committedBytes;
        run.BeforeCommit = () => part.Flush(flushToDisk: true);

        List<InputItem> remaining = mine.Skip(run.Resumed).ToList();
        var pipelineOptions = common.PipelineOptions(parse, model);
        await foreach (var outcome in StreamingJob.RunAsync(remaining, (paths, ct) => model.EncodeFilesAsync(paths, pipelineOptions, ct), cancellationToken))
        {
            var item = outcome.Item;
            if (outcome.IsOk)
            {
                NpyWriter.WriteValues(part, outcome.Latent.AsSpan(0, dim));
                run.Add(item, new IndexEntry(run.OkCount, item.DisplayPath, IndexEntry.Ok, string.Empty));
            }
            else
            {
                run.Add(item, new IndexEntry(null, item.DisplayPath, IndexEntry.Skipped, outcome.SkipReason!));
            }
        }

        run.Commit();
        long rows = run.OkCount;
        part.Position = 0;
        AtomicFile.Write(paths.Npy, stream =>
        {
            stream.Write(NpyWriter.Header(rows, dim));
            part.CopyTo(stream);
        });
        run.WriteIndex(paths.Index);
        if (csvPath is not null)
        {
            LatentCsv.Write(csvPath, paths.Npy, IndexCsv.Read(paths.Index).Entries);
        }

        if (shard is { } s)
        {
            new ShardInfo(ShardInfo.CurrentFormat, s.Index, s.Count, items.Count, start, length, dim, jobId).Write(paths.ShardInfo);
        }

        run.Complete();
        run.BeforeCommit = null;
        part.Dispose();
        File.Delete(paths.Part);
        if (!quiet)
        {
            Console.Out.WriteLine($"encoded {rows} of {mine.Count} images ({run.SkippedCount} skipped) -> {parse.GetValue(output)} [{rows}, {dim}], index {IndexDisplayPath(parse.GetValue(output)!)}");
        }

        return StreamingJob.ExitCode(run.SkippedCount);
    }
}
