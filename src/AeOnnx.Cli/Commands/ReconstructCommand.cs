using System.CommandLine;
using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using AeOnnx.Pipeline;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx reconstruct</c>: encode then decode each image; PNGs, per-image MSE/PSNR, optional comparison grid.</summary>
internal sealed class ReconstructCommand : VerbCommand
{
    private readonly CommonOptions common = new();
    private readonly InputOptions inputs = new();
    private readonly JobOptions job = new(sharding: false);

    private readonly Option<string> output = new("--output", "-o")
    {
        Description = "Folder for the reconstructed PNGs (named after the inputs) and index.csv (row, path, status, reason, mse, psnr)",
        HelpName = "DIR",
        Required = true,
    };

    private readonly Option<string?> comparison = new("--comparison")
    {
        Description = "Also write a PNG grid: originals (model size) above their reconstructions",
        HelpName = "FILE",
    };

    private readonly Option<int> comparisonCount = new("--comparison-count")
    {
        Description = "How many images the comparison grid shows (the first ones done)",
        HelpName = "N",
        DefaultValueFactory = _ => 16,
    };

    public ReconstructCommand(CliConsole console)
        : base("reconstruct", "Reconstruct images through the autoencoder: PNGs, MSE/PSNR per image in the index, optional comparison grid.", console)
    {
        inputs.AddTo(this);
        Options.Add(output);
        Options.Add(comparison);
        Options.Add(comparisonCount);
        job.AddTo(this);
        common.AddTo(this);
        comparisonCount.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 256)
            {
                r.AddError("--comparison-count must be between 1 and 256.");
            }
        });
    }

    public override string Examples => """
          aeonnx reconstruct samples/images --output recon/
          aeonnx reconstruct samples/images --output recon/ --comparison recon.png --comparison-count 10
        """;

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string folder = Path.GetFullPath(parse.GetValue(output)!);
        string indexPath = Path.Combine(folder, "index.csv");
        string? comparisonPath = parse.GetValue(comparison);
        bool quiet = parse.GetValue(common.Quiet);
        if (File.Exists(folder))
        {
            throw CliException.Fatal($"--output '{parse.GetValue(output)}' is a file; reconstruct writes a folder of PNGs.");
        }

        var outputs = new JobOutputs().Folder("--output", parse.GetValue(output)).File("--comparison", comparisonPath);
        using StreamingJob streamingJob = StreamingJob.Start(parse, inputs, outputs, Path.Combine(folder, ".aeonnx-lock"));
        var items = streamingJob.Items;
        OutputFiles.CheckWritable(indexPath);
        if (comparisonPath is not null)
        {
            OutputFiles.CheckWritable(comparisonPath);
        }

        using var model = common.LoadModel(parse, Console);
        string[] names = OutputNames.Assign(items);
        AtomicFile.DeleteStaleTemporaries(folder, names.Append("index.csv"));
        string jobId = new JobFingerprint("reconstruct", model).AddInputs(items).ToString();
        using var run = new ResumableRun(Console, "reconstruct", Path.Combine(folder, ".aeonnx-journal"), jobId, parse.GetValue(job.Resume), quiet, items.Count, withErrors: true);

        List<InputItem> remaining = items.Skip(run.Resumed).ToList();
        var pipelineOptions = common.PipelineOptions(parse, model);
        await foreach (var outcome in StreamingJob.RunAsync(remaining, (paths, ct) => model.ReconstructFilesAsync(paths, pipelineOptions, ct), cancellationToken))
        {
            var item = outcome.Item;
            if (outcome.IsOk && outcome.Result!.Reconstruction is { } reconstruction && outcome.Result.Error is { } error)
            {
                ImageFiles.SavePng(model.Images.ToImage(reconstruction), Path.Combine(folder, names[item.Position]));

                run.Add(item, new IndexEntry(run.OkCount, item.DisplayPath, IndexEntry.Ok, string.Empty, error.Mse, error.Psnr));
            }
            else
            {
                run.Add(item, new IndexEntry(null, item.DisplayPath, IndexEntry.Skipped, outcome.SkipReason ?? "no reconstruction"));
            }
        }

        run.WriteIndex(indexPath);
        if (comparisonPath is not null)
        {
            WriteComparison(model, items, names, folder, indexPath, comparisonPath, parse.GetValue(comparisonCount));
        }

        run.Complete();
        if (!quiet)
        {
            Console.Out.WriteLine($"reconstructed {run.OkCount} of {items.Count} images ({run.SkippedCount} skipped) -> {parse.GetValue(output)} (index.csv has MSE and PSNR)"
                + (comparisonPath is null ? string.Empty : $", comparison {comparisonPath}"));
        }

        return StreamingJob.ExitCode(run.SkippedCount);
    }

    /// <summary>Originals (as the model sees them) above their reconstructions, 8 a row pair.</summary>
    private static void WriteComparison(Autoencoder model, IReadOnlyList<InputItem> items, string[] names, string folder, string indexPath, string path, int count)
    {
        var byPath = items.ToDictionary(i => i.DisplayPath, StringComparer.Ordinal);
        List<IndexEntry> shown = IndexCsv.Read(indexPath).Entries.Where(e => e.IsOk).Take(count).ToList();
        if (shown.Count == 0)
        {
            return;
        }

        using var grid = new ComparisonGrid(model, shown.Count, $"{model.Name}: originals above reconstructions");
        foreach (var entry in shown)
        {
            var item = byPath[entry.Path];
            var original = GridImages.ModelView(model, item.FullPath);
            Image<Rgb24> reconstructed;
            try
            {
                reconstructed = GridImages.Load(Path.Combine(folder, names[item.Position]));
            }
            catch
            {
                original.Dispose();
                throw;
            }

            grid.Add(original, Path.GetFileNameWithoutExtension(item.DisplayPath), reconstructed, "PSNR " + (entry.Psnr ?? 0).ToString("0.0", CultureInfo.InvariantCulture));
        }

        grid.SavePng(path);
    }
}
