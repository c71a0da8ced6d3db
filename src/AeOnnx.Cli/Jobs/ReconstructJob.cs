using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// <c>aeonnx reconstruct</c>: encode then decode each image, streaming and resumable; a PNG per image
/// (named after the input; x-2.png... when names collide), MSE/PSNR and the file per image in the index, an
/// optional comparison grid.
/// </summary>
internal sealed class ReconstructJob(CliConsole console, ReconstructJob.Settings settings)
{
    internal sealed record Settings(InputSelection Inputs, string Output, string? Comparison, int ComparisonCount, bool Resume, ModelSettings Model);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(settings.Output);
        var indexPath = Path.Combine(folder, "index.csv");
        if (File.Exists(folder))
        {
            throw CliException.Fatal($"--output '{settings.Output}' is a file; reconstruct writes a folder of PNGs.");
        }

        var outputs = new JobOutputs().Folder("--output", settings.Output).File("--comparison", settings.Comparison);
        using var job = Job.Open(console, "reconstruct", settings.Model.Quiet, outputs, Path.Combine(folder, ".aeonnx-lock"), settings.Inputs.Resolve(outputs), writable: [indexPath, settings.Comparison]);
        var items = job.Items;
        using var model = settings.Model.Load(console);
        var names = OutputNames.Assign(items);
        AtomicFile.DeleteStaleTemporaries(folder, names.Append("index.csv"));
        var jobId = new JobFingerprint("reconstruct", model).AddInputs(items).ToString();
        using var run = job.Journal(Path.Combine(folder, ".aeonnx-journal"), jobId, settings.Resume, items.Count, withErrors: true);

        // The journal is a file in the output folder: the names it carries must be the ones this job gives.
        for (var i = 0; i < run.Completed.Count; i++)
        {
            if (run.Completed[i].File is { } file && file != names[i])
            {
                throw CliException.Usage($"--resume: the journal names '{file}' as the output of input {i + 1}; this job writes '{names[i]}'. Run the same command without --resume to start over.");
            }
        }

        var remaining = items.Skip(run.Resumed).ToList();
        var pipelineOptions = settings.Model.Pipeline(model);
        await foreach (var outcome in Job.StreamAsync(remaining, (files, ct) => model.ReconstructFilesAsync(files, pipelineOptions, ct), cancellationToken))
        {
            var item = outcome.Item;
            if (outcome.IsOk && outcome.Result!.Reconstruction is { } reconstruction && outcome.Result.Error is { } error)
            {
                ImageFiles.SavePng(model.Images.ToImage(reconstruction), Path.Combine(folder, names[item.Position]));
                run.Add(new IndexEntry(run.OkCount, item.DisplayPath, IndexEntry.Ok, string.Empty, error.Mse, error.Psnr, names[item.Position]));
            }
            else
            {
                run.Add(new IndexEntry(null, item.DisplayPath, IndexEntry.Skipped, outcome.SkipReason ?? "no reconstruction"));
            }
        }

        run.WriteIndex(indexPath);
        if (settings.Comparison is { } comparisonPath)
        {
            WriteComparison(model, items, folder, indexPath, comparisonPath, settings.ComparisonCount);
        }

        run.Complete();
        return job.Finish(
            run.SkippedCount,
            $"reconstructed {run.OkCount} of {items.Count} images ({run.SkippedCount} skipped) -> {settings.Output} (index.csv has MSE and PSNR)"
                + (settings.Comparison is null ? string.Empty : $", comparison {settings.Comparison}"));
    }

    /// <summary>Originals (as the model sees them) above their reconstructions, 8 a row pair.</summary>
    private static void WriteComparison(Autoencoder model, IReadOnlyList<InputItem> items, string folder, string indexPath, string path, int count)
    {
        var byPath = items.ToDictionary(i => i.DisplayPath, StringComparer.Ordinal);
        var shown = IndexCsv.Read(indexPath).Entries.Where(e => e.IsOk).Take(count).ToList();
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
                reconstructed = GridImages.Load(Path.Combine(folder, entry.File!));
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
