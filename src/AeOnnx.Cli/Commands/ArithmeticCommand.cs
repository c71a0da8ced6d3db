using System.CommandLine;
using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using AeOnnx.Latents;
using AeOnnx.Pipeline;
using SixLabors.ImageSharp;

namespace AeOnnx.Cli.Commands;

/// <summary>
/// <c>aeonnx arithmetic</c>: moves images along the direction between two class centroids (manifest labels)
/// or two folders' centroids: latent + s·(to − from) for strengths s = 0..k, as a labelled grid.
/// </summary>
internal sealed class ArithmeticCommand : VerbCommand
{
    private readonly CommonOptions common = new();
    private readonly InputOptions inputs = new();

    private readonly Option<string?> from = new("--from")
    {
        Description = "Class label (from the manifest's latent.classes) the direction starts at",
        HelpName = "LABEL",
    };

    private readonly Option<string?> to = new("--to")
    {
        Description = "Class label the direction points to",
        HelpName = "LABEL",
    };

    private readonly Option<string?> fromFolder = new("--from-folder")
    {
        Description = "Instead of --from: the centroid of this folder's images",
        HelpName = "DIR",
    };

    private readonly Option<string?> toFolder = new("--to-folder")
    {
        Description = "Instead of --to: the centroid of this folder's images",
        HelpName = "DIR",
    };

    private readonly Option<float> strength = new("--strength")
    {
        Description = "Largest strength k (the last column adds k times the direction)",
        HelpName = "K",
        DefaultValueFactory = _ => 1f,
    };

    private readonly Option<int> steps = new("--steps")
    {
        Description = "Columns from strength 0 to k",
        HelpName = "N",
        DefaultValueFactory = _ => 5,
    };

    private readonly Option<string> output = new("--output", "-o")
    {
        Description = "PNG grid: a row per image (32 at most), a column per strength (required unless --list-classes)",
        HelpName = "FILE",
    };

    private readonly Option<bool> listClasses = new("--list-classes")
    {
        Description = "Print the model's class labels and exit",
    };

    public ArithmeticCommand(CliConsole console)
        : base("arithmetic", "Latent arithmetic: move images along the direction from one class (or folder) centroid to another, e.g. shirt -> coat.", console)
    {
        inputs.AddTo(this);
        Options.Add(from);
        Options.Add(to);
        Options.Add(fromFolder);
        Options.Add(toFolder);
        Options.Add(strength);
        Options.Add(steps);
        Options.Add(output);
        Options.Add(listClasses);
        common.AddTo(this);
        steps.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 2 or > 64)
            {
                r.AddError("--steps must be between 2 and 64.");
            }
        });
    }

    public override string Examples => """
          aeonnx arithmetic --list-classes
          aeonnx arithmetic samples/images/shirt-00007.png --from Shirt --to Coat --steps 5 --output shirt-to-coat.png
          aeonnx arithmetic my/sneakers --from-folder sneakers/ --to-folder boots/ --strength 1.5 --output style.png
        """;

    private const int MaxRows = 32;

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (parse.GetValue(listClasses))
        {
            using var listed = common.LoadModel(parse, Console);
            if (listed.Classes.Count == 0)
            {
                Console.Out.WriteLine($"model '{listed.Name}' has no class centroids; use --from-folder and --to-folder.");
            }

            foreach (var c in listed.Classes)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Index,3}  {c.Label}  ({c.Count} training images)"));
            }

            return ExitCodes.Success;
        }

        string? fromLabel = parse.GetValue(from);
        string? toLabel = parse.GetValue(to);
        string? fromDir = parse.GetValue(fromFolder);
        string? toDir = parse.GetValue(toFolder);
        bool byLabel = fromLabel is not null || toLabel is not null;
        bool byFolder = fromDir is not null || toDir is not null;
        if (byLabel == byFolder || (byLabel && (fromLabel is null || toLabel is null)) || (byFolder && (fromDir is null || toDir is null)))
        {
            throw CliException.Usage("give a direction: --from LABEL --to LABEL (class centroids), or --from-folder DIR --to-folder DIR.");
        }

        string gridPath = parse.GetValue(output) ?? throw CliException.Usage("--output FILE is required.");
        var outputs = new JobOutputs().File("--output", gridPath);
        var fromItems = byFolder ? FolderItems(parse, fromDir!, outputs) : [];
        var toItems = byFolder ? FolderItems(parse, toDir!, outputs) : [];
        using StreamingJob streamingJob = StreamingJob.Start(parse, inputs, outputs, AtomicFile.Sibling(gridPath, ".aeonnx-lock"), fromItems.Concat(toItems));
        var items = streamingJob.Items;
        OutputFiles.CheckWritable(gridPath);
        bool quiet = parse.GetValue(common.Quiet);

        using var model = common.LoadModel(parse, Console);
        float[] start;
        float[] end;
        string fromName;
        string toName;
        var skipped = new List<IndexEntry>();
        if (byLabel)
        {
            (start, fromName) = ClassCentroid(model, fromLabel!);
            (end, toName) = ClassCentroid(model, toLabel!);
        }
        else
        {
            start = await FolderCentroidAsync(model, parse, fromDir!, fromItems, skipped, cancellationToken);
            end = await FolderCentroidAsync(model, parse, toDir!, toItems, skipped, cancellationToken);
            fromName = fromDir!.TrimEnd('/');
            toName = toDir!.TrimEnd('/');
        }

        if (items.Count > MaxRows && !quiet)
        {
            Console.Error.WriteLine($"arithmetic: showing the first {MaxRows} of {items.Count} images.");
        }

        var rows = KeyImages.Encode(model, items.Take(MaxRows).ToList(), Console, skipped);
        if (rows.Count == 0)
        {
            throw CliException.Fatal("none of the input images could be read.");
        }

        float[] direction = LatentMath.Subtract(end, start);
        if (FailureReason.NonFiniteLatent(direction) is { } badDirection)
        {
            throw CliException.Fatal($"the direction {toName} - {fromName} is not finite ({badDirection}); check the model's latent.classes or the folders.");
        }

        float k = parse.GetValue(strength);
        int columns = parse.GetValue(steps);
        float[] strengths = Enumerable.Range(0, columns).Select(j => k * j / (columns - 1)).ToArray();
        using var grid = new ImageGrid(rows.Count, columns, model.Width, model.Height)
        {
            Title = $"{model.Name}: + s * ({toName} - {fromName})",
        };
        for (int j = 0; j < columns; j++)
        {
            grid.ColumnLabels[j] = "s=" + strengths[j].ToString("0.##", CultureInfo.InvariantCulture);
        }

        for (int r = 0; r < rows.Count; r++)
        {
            grid.RowLabels[r] = Path.GetFileNameWithoutExtension(rows[r].Item.DisplayPath);
            float[] z = rows[r].Latent;
            float[][] moved = strengths.Select(sj => LatentMath.Add(z, LatentMath.Scale(direction, sj))).ToArray();
            float[][] decoded = model.DecodeBatch(moved);
            for (int j = 0; j < columns; j++)
            {
                if (FailureReason.NonFinite("decoded cell", decoded[j]) is { } reason)
                {
                    // Left blank in the grid (never drawn as black pixels) and reported.
                    skipped.Add(new IndexEntry(null, $"{rows[r].Item.DisplayPath} s={strengths[j].ToString(CultureInfo.InvariantCulture)}", IndexEntry.Skipped, reason));
                    Console.Error.WriteLine($"skipped {rows[r].Item.DisplayPath} at s={strengths[j].ToString(CultureInfo.InvariantCulture)}: {reason}");
                    grid.SetEmpty(r, j, "non-finite");
                    continue;
                }

                var cell = GridImages.FromOutput(model, decoded[j]);
                grid.Set(r, j, cell);
            }
        }

        grid.SavePng(gridPath);
        if (!quiet)
        {
            Console.Out.WriteLine($"moved {rows.Count} images from {fromName} towards {toName} (strength 0..{k.ToString(CultureInfo.InvariantCulture)}) -> {gridPath}");
        }

        return StreamingJob.ExitCode(skipped.Count);
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

    private IReadOnlyList<InputItem> FolderItems(ParseResult parse, string folder, JobOutputs outputs) =>
        InputResolver.Resolve([folder], [], parse.GetValue(inputs.Pattern), Environment.CurrentDirectory, outputs.Folders);

    private async Task<float[]> FolderCentroidAsync(Autoencoder model, ParseResult parse, string folder, IReadOnlyList<InputItem> items, List<IndexEntry> skipped, CancellationToken cancellationToken)
    {
        var latents = new List<float[]>();
        var pipelineOptions = common.PipelineOptions(parse, model);
        await foreach (var outcome in StreamingJob.RunAsync(items, (paths, ct) => model.EncodeFilesAsync(paths, pipelineOptions, ct), cancellationToken))
        {
            if (outcome.IsOk)
            {
                latents.Add(outcome.Latent);
            }
            else
            {
                // A NaN latent would turn the whole centroid, and so every cell, into NaN.
                string reason = outcome.SkipReason ?? "no latent";
                skipped.Add(new IndexEntry(null, outcome.Item.DisplayPath, IndexEntry.Skipped, reason));
                Console.Error.WriteLine($"skipped {outcome.Item.DisplayPath}: {reason}");
            }
        }

        if (latents.Count == 0)
        {
            throw CliException.Usage($"'{folder}' has no readable images to take a centroid of.");
        }

        return LatentMath.Centroid(latents);
    }
}
