using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using AeOnnx.Latents;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// <c>aeonnx arithmetic</c>: moves images along the direction between two class centroids (manifest labels)
/// or two folders' centroids: latent + s·(to − from) for strengths s = 0..k, as a labelled grid.
/// </summary>
internal sealed class ArithmeticJob(CliConsole console, ArithmeticJob.Settings settings)
{
    private const int MaxRows = 32;

    internal sealed record Settings(InputSelection Inputs, string? From, string? To, string? FromFolder, string? ToFolder, float Strength, int Steps, string? Output, ModelSettings Model);

    /// <summary><c>--list-classes</c>: the model's class labels.</summary>
    public static int ListClasses(CliConsole console, ModelSettings model)
    {
        using var listed = model.Load(console);
        if (listed.Classes.Count == 0)
        {
            console.Out.WriteLine($"model '{listed.Name}' has no class centroids; use --from-folder and --to-folder.");
        }

        foreach (var c in listed.Classes)
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Index,3}  {c.Label}  ({c.Count} training images)"));
        }

        return ExitCodes.Success;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var byLabel = settings.From is not null || settings.To is not null;
        var byFolder = settings.FromFolder is not null || settings.ToFolder is not null;
        if (byLabel == byFolder || (byLabel && (settings.From is null || settings.To is null)) || (byFolder && (settings.FromFolder is null || settings.ToFolder is null)))
        {
            throw CliException.Usage("give a direction: --from LABEL --to LABEL (class centroids), or --from-folder DIR --to-folder DIR.");
        }

        var gridPath = settings.Output ?? throw CliException.Usage("--output FILE is required.");
        var outputs = new JobOutputs().File("--output", gridPath);
        var fromItems = byFolder ? settings.Inputs.ResolveFolder(settings.FromFolder!, outputs) : [];
        var toItems = byFolder ? settings.Inputs.ResolveFolder(settings.ToFolder!, outputs) : [];
        var alsoRead = fromItems.Concat(toItems).Select(i => (i.DisplayPath, i.FullPath));
        using var job = Job.Open(console, "arithmetic", settings.Model.Quiet, outputs, AtomicFile.Sibling(gridPath, ".aeonnx-lock"), settings.Inputs.Resolve(outputs), alsoRead, gridPath);
        using var model = settings.Model.Load(console);
        var skipped = new List<IndexEntry>();
        var (start, fromName) = byLabel ? ClassCentroid(model, settings.From!) : (await FolderCentroidAsync(model, settings.FromFolder!, fromItems, skipped, cancellationToken), settings.FromFolder!.TrimEnd('/'));
        var (end, toName) = byLabel ? ClassCentroid(model, settings.To!) : (await FolderCentroidAsync(model, settings.ToFolder!, toItems, skipped, cancellationToken), settings.ToFolder!.TrimEnd('/'));
        var items = job.Items;
        if (items.Count > MaxRows && !job.Quiet)
        {
            console.Error.WriteLine($"arithmetic: showing the first {MaxRows} of {items.Count} images.");
        }

        var rows = KeyImages.Encode(model, items.Take(MaxRows).ToList(), console, skipped);
        if (rows.Count == 0)
        {
            throw CliException.Fatal("none of the input images could be read.");
        }

        var direction = LatentMath.Subtract(end, start);
        if (FailureReason.NonFiniteLatent(direction) is { } badDirection)
        {
            throw CliException.Fatal($"the direction {toName} - {fromName} is not finite ({badDirection}); check the model's latent.classes or the folders.");
        }

        WriteGrid(model, rows, direction, $"{model.Name}: + s * ({toName} - {fromName})", gridPath, skipped);
        return job.Finish(skipped.Count, $"moved {rows.Count} images from {fromName} towards {toName} (strength 0..{settings.Strength.ToString(CultureInfo.InvariantCulture)}) -> {gridPath}");
    }

    /// <summary>A row per image, a column per strength; a non-finite cell is left blank and reported.</summary>
    private void WriteGrid(Autoencoder model, List<(InputItem Item, float[] Latent)> rows, float[] direction, string title, string gridPath, List<IndexEntry> skipped)
    {
        var k = settings.Strength;
        var columns = settings.Steps;
        var strengths = Enumerable.Range(0, columns).Select(j => k * j / (columns - 1)).ToArray();
        using var grid = new ImageGrid(rows.Count, columns, model.Width, model.Height) { Title = title };
        for (var j = 0; j < columns; j++)
        {
            grid.ColumnLabels[j] = "s=" + strengths[j].ToString("0.##", CultureInfo.InvariantCulture);
        }

        for (var r = 0; r < rows.Count; r++)
        {
            grid.RowLabels[r] = Path.GetFileNameWithoutExtension(rows[r].Item.DisplayPath);
            var z = rows[r].Latent;
            var moved = strengths.Select(sj => LatentMath.Add(z, LatentMath.Scale(direction, sj))).ToArray();
            var decoded = model.DecodeBatch(moved);
            for (var j = 0; j < columns; j++)
            {
                if (FailureReason.NonFinite("decoded cell", decoded[j]) is { } reason)
                {
                    // Left blank in the grid (never drawn as black pixels) and reported.
                    skipped.Add(new IndexEntry(null, $"{rows[r].Item.DisplayPath} s={strengths[j].ToString(CultureInfo.InvariantCulture)}", IndexEntry.Skipped, reason));
                    console.Error.WriteLine($"skipped {rows[r].Item.DisplayPath} at s={strengths[j].ToString(CultureInfo.InvariantCulture)}: {reason}");
                    grid.SetEmpty(r, j, "non-finite");
                    continue;
                }

                grid.Set(r, j, GridImages.FromOutput(model, decoded[j]));
            }
        }

        grid.SavePng(gridPath);
    }

    private static (float[] Centroid, string Label) ClassCentroid(Autoencoder model, string label)
    {
        if (model.Classes.Count == 0)
        {
            throw CliException.Fatal($"model '{model.Name}' has no class centroids (latent.classes); use --from-folder and --to-folder.");
        }

        var match = model.Classes.FirstOrDefault(c => string.Equals(c.Label, label, StringComparison.OrdinalIgnoreCase))
            ?? model.Classes.FirstOrDefault(c => c.Index.ToString(CultureInfo.InvariantCulture) == label);
        if (match?.Centroid is null)
        {
            throw CliException.Usage($"unknown class '{label}'; the model's classes: {string.Join(", ", model.Classes.Select(c => c.Label))}.");
        }

        return (match.Centroid.ToArray(), match.Label);
    }

    private async Task<float[]> FolderCentroidAsync(Autoencoder model, string folder, IReadOnlyList<InputItem> items, List<IndexEntry> skipped, CancellationToken cancellationToken)
    {
        var latents = new List<float[]>();
        var pipelineOptions = settings.Model.Pipeline(model);
        await foreach (var outcome in Job.StreamAsync(items, (files, ct) => model.EncodeFilesAsync(files, pipelineOptions, ct), cancellationToken))
        {
            if (outcome.IsOk)
            {
                latents.Add(outcome.Latent);
            }
            else
            {
                // A NaN latent would turn the whole centroid, and so every cell, into NaN.
                var reason = outcome.SkipReason ?? "no latent";
                skipped.Add(new IndexEntry(null, outcome.Item.DisplayPath, IndexEntry.Skipped, reason));
                console.Error.WriteLine($"skipped {outcome.Item.DisplayPath}: {reason}");
            }
        }

        if (latents.Count == 0)
        {
            throw CliException.Usage($"'{folder}' has no readable images to take a centroid of.");
        }

        return LatentMath.Centroid(latents);
    }
}
