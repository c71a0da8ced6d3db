using System.CommandLine;
using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using AeOnnx.Latents;
using SixLabors.ImageSharp;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx interpolate</c>: a path through the latents of key images, as a labelled grid and a looping GIF.</summary>
internal sealed class InterpolateCommand : VerbCommand
{
    private readonly CommonOptions common = new();

    private readonly Argument<string[]> images = new("IMAGE")
    {
        Description = "Two or more key images, visited in order",
        Arity = new ArgumentArity(2, 64),
    };

    private readonly Option<int> steps = new("--steps")
    {
        Description = "Images per segment, both key images included",
        HelpName = "N",
        DefaultValueFactory = _ => 8,
    };

    private readonly Option<string> mode = new("--mode")
    {
        Description = "lerp (straight line) or slerp (along the sphere, keeps the norm)",
        HelpName = "lerp|slerp",
        DefaultValueFactory = _ => "slerp",
    };

    private readonly Option<string> layout = new("--layout")
    {
        Description = "rows: one row per segment; strip: one long row through all key images",
        HelpName = "rows|strip",
        DefaultValueFactory = _ => "rows",
    };

    private readonly Option<string> output = new("--output", "-o")
    {
        Description = "PNG grid of the path, labelled",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> gif = new("--gif")
    {
        Description = "Also write the path as a looping animated GIF (forth and back)",
        HelpName = "FILE",
    };

    private readonly Option<int> frameMs = new("--frame-ms")
    {
        Description = "GIF frame duration in milliseconds",
        HelpName = "MS",
        DefaultValueFactory = _ => 120,
    };

    public InterpolateCommand(CliConsole console)
        : base("interpolate", "Walk through latent space between key images: a labelled grid (PNG) and an animated, looping GIF.", console)
    {
        Arguments.Add(images);
        Options.Add(steps);
        Options.Add(mode);
        Options.Add(layout);
        Options.Add(output);
        Options.Add(gif);
        Options.Add(frameMs);
        common.AddTo(this);
        mode.AcceptOnlyFromAmong("lerp", "slerp");
        layout.AcceptOnlyFromAmong("rows", "strip");
        steps.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 2 or > 256)
            {
                r.AddError("--steps must be between 2 and 256.");
            }
        });
        frameMs.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 10 or > 60000)
            {
                r.AddError("--frame-ms must be between 10 and 60000.");
            }
        });
    }

    public override string Examples => """
          aeonnx interpolate samples/images/boot-00000.png samples/images/sneaker-00009.png --steps 8 --output path.png
          aeonnx interpolate a.png b.png c.png --steps 10 --mode lerp --layout strip --output path.png --gif path.gif
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string[] given = parse.GetValue(images)!;
        IReadOnlyList<InputItem> items = given
            .Select((path, i) => new InputItem(i, path, Path.GetFullPath(path)))
            .ToList();
        string gridPath = parse.GetValue(output)!;
        string? gifPath = parse.GetValue(gif);
        int stepCount = parse.GetValue(steps);
        bool strip = parse.GetValue(layout) == "strip";
        var interpolation = parse.GetValue(mode) == "lerp" ? InterpolationMode.Linear : InterpolationMode.Spherical;
        var outputs = new JobOutputs().File("--output", gridPath).File("--gif", gifPath);
        using var claim = outputs.Claim(items, AtomicFile.Sibling(gridPath, ".aeonnx-lock"));
        OutputFiles.CheckWritable(gridPath);
        if (gifPath is not null)
        {
            OutputFiles.CheckWritable(gifPath);
        }

        using var model = common.LoadModel(parse, Console);
        var skipped = new List<IndexEntry>();
        var keys = KeyImages.Encode(model, items, Console, skipped);
        if (keys.Count < 2)
        {
            throw CliException.Fatal($"interpolation needs two readable key images; {keys.Count} of {items.Count} could be read.");
        }

        float[][] path = LatentMath.Path(keys.Select(k => k.Latent).ToList(), stepCount - 1, interpolation);
        float[][] decoded = model.DecodeBatch(path);
        int nonFinite = decoded.Count(d => FailureReason.NonFinite("decoded image", d) is not null);
        if (nonFinite > 0)
        {
            // A path with holes is no interpolation: nothing is drawn from non-finite outputs.
            throw CliException.Fatal($"the model produced non-finite values (NaN or infinity) for {nonFinite} of {decoded.Length} images of the path; nothing was written.");
        }

        var frames = decoded.Select(d => GridImages.FromOutput(model, d)).ToList();
        try
        {
            string Letter(int k) => ((char)('A' + (k % 26))).ToString();
            string Name(int k) => Path.GetFileNameWithoutExtension(keys[k].Item.DisplayPath);
            ImageGrid grid;
            if (strip)
            {
                grid = new ImageGrid(1, frames.Count, model.Width, model.Height);
                for (int i = 0; i < frames.Count; i++)
                {
                    bool isKey = i % (stepCount - 1) == 0;
                    grid.Set(0, i, frames[i], isKey ? Name(i / (stepCount - 1)) : null);
                    grid.ColumnLabels[i] = isKey ? Letter(i / (stepCount - 1)) : string.Empty;
                }
            }
            else
            {
                grid = new ImageGrid(keys.Count - 1, stepCount, model.Width, model.Height);
                for (int segment = 0; segment < keys.Count - 1; segment++)
                {
                    grid.RowLabels[segment] = $"{Letter(segment)}>{Letter(segment + 1)}";
                    for (int j = 0; j < stepCount; j++)
                    {
                        string? caption = j == 0 ? Name(segment) : j == stepCount - 1 ? Name(segment + 1) : null;
                        grid.Set(segment, j, frames[(segment * (stepCount - 1)) + j], caption);
                    }
                }

                for (int j = 0; j < stepCount; j++)
                {
                    grid.ColumnLabels[j] = "t=" + ((double)j / (stepCount - 1)).ToString("0.00", CultureInfo.InvariantCulture);
                }
            }

            grid.Title = $"{model.Name}: {parse.GetValue(mode)} through " + string.Join(", ", keys.Select((k, i) => $"{Letter(i)}={Name(i)}"));
            using (Image rendered = grid.Render())
            {
                ImageFiles.SavePng(rendered, gridPath);
            }

            if (gifPath is not null)
            {
                // Forth and back, so the loop has no jump.
                var loop = frames.Concat(Enumerable.Reverse(frames).Skip(1).Take(Math.Max(0, frames.Count - 2))).ToList();
                int zoom = Math.Max(1, (int)Math.Ceiling(112.0 / Math.Max(model.Width, model.Height)));
                ImageFiles.SaveAnimatedGif(loop, gifPath, zoom, Math.Max(1, parse.GetValue(frameMs) / 10), grayscale: model.Channels == 1);
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }

        if (!parse.GetValue(common.Quiet))
        {
            Console.Out.WriteLine($"interpolated {keys.Count} key images, {path.Length} images ({parse.GetValue(mode)}) -> {gridPath}"
                + (gifPath is null ? string.Empty : $", {gifPath}"));
        }

        return Task.FromResult(skipped.Count > 0 ? ExitCodes.SomeInputsSkipped : ExitCodes.Success);
    }
}
