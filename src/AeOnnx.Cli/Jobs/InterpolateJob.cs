using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using AeOnnx.Latents;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Jobs;

/// <summary><c>aeonnx interpolate</c>: a path through the latents of key images, as a labelled grid and a looping GIF.</summary>
internal sealed class InterpolateJob(CliConsole console, InterpolateJob.Settings settings)
{
    internal sealed record Settings(string[] Images, int Steps, string Mode, bool Strip, string Output, string? Gif, int FrameMs, ModelSettings Model);

    public int Run()
    {
        IReadOnlyList<InputItem> items = settings.Images.Select((path, i) => new InputItem(i, path, Path.GetFullPath(path))).ToList();
        var outputs = new JobOutputs().File("--output", settings.Output).File("--gif", settings.Gif);
        using var job = Job.Open(console, "interpolate", settings.Model.Quiet, outputs, AtomicFile.Sibling(settings.Output, ".aeonnx-lock"), items, writable: [settings.Output, settings.Gif]);
        using var model = settings.Model.Load(console);
        var skipped = new List<IndexEntry>();
        var keys = KeyImages.Encode(model, items, console, skipped);
        if (keys.Count < 2)
        {
            throw CliException.Fatal($"interpolation needs two readable key images; {keys.Count} of {items.Count} could be read.");
        }

        var path = LatentMath.Path(keys.Select(k => k.Latent).ToList(), settings.Steps - 1, settings.Mode == "lerp" ? InterpolationMode.Linear : InterpolationMode.Spherical);
        var decoded = model.DecodeBatch(path);
        var nonFinite = decoded.Count(d => FailureReason.NonFinite("decoded image", d) is not null);
        if (nonFinite > 0)
        {
            // A path with holes is no interpolation: nothing is drawn from non-finite outputs.
            throw CliException.Fatal($"the model produced non-finite values (NaN or infinity) for {nonFinite} of {decoded.Length} images of the path; nothing was written.");
        }

        var frames = decoded.Select(d => GridImages.FromOutput(model, d)).ToList();
        try
        {
            WriteGrid(model, keys, frames);
            if (settings.Gif is { } gifPath)
            {
                // Forth and back, so the loop has no jump.
                var loop = frames.Concat(Enumerable.Reverse(frames).Skip(1).Take(Math.Max(0, frames.Count - 2))).ToList();
                var zoom = Math.Max(1, (int)Math.Ceiling(112.0 / Math.Max(model.Width, model.Height)));
                ImageFiles.SaveAnimatedGif(loop, gifPath, zoom, Math.Max(1, settings.FrameMs / 10), grayscale: model.Channels == 1);
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }

        return job.Finish(
            skipped.Count,
            $"interpolated {keys.Count} key images, {path.Length} images ({settings.Mode}) -> {settings.Output}" + (settings.Gif is null ? string.Empty : $", {settings.Gif}"));
    }

    /// <summary>A row per segment (or one strip through every key image), labelled.</summary>
    private void WriteGrid(Autoencoder model, List<(InputItem Item, float[] Latent)> keys, List<Image<Rgb24>> frames)
    {
        var stepCount = settings.Steps;
        string Letter(int k) => ((char)('A' + (k % 26))).ToString();
        string Name(int k) => Path.GetFileNameWithoutExtension(keys[k].Item.DisplayPath);
        ImageGrid grid;
        if (settings.Strip)
        {
            grid = new ImageGrid(1, frames.Count, model.Width, model.Height);
            for (var i = 0; i < frames.Count; i++)
            {
                var isKey = i % (stepCount - 1) == 0;
                grid.Set(0, i, frames[i], isKey ? Name(i / (stepCount - 1)) : null);
                grid.ColumnLabels[i] = isKey ? Letter(i / (stepCount - 1)) : string.Empty;
            }
        }
        else
        {
            grid = new ImageGrid(keys.Count - 1, stepCount, model.Width, model.Height);
            for (var segment = 0; segment < keys.Count - 1; segment++)
            {
                grid.RowLabels[segment] = $"{Letter(segment)}>{Letter(segment + 1)}";
                for (var j = 0; j < stepCount; j++)
                {
                    var caption = j == 0 ? Name(segment) : j == stepCount - 1 ? Name(segment + 1) : null;
                    grid.Set(segment, j, frames[(segment * (stepCount - 1)) + j], caption);
                }
            }

            for (var j = 0; j < stepCount; j++)
            {
                grid.ColumnLabels[j] = "t=" + ((double)j / (stepCount - 1)).ToString("0.00", CultureInfo.InvariantCulture);
            }
        }

        grid.Title = $"{model.Name}: {settings.Mode} through " + string.Join(", ", keys.Select((k, i) => $"{Letter(i)}={Name(i)}"));
        using (Image rendered = grid.Render())
        {
            ImageFiles.SavePng(rendered, settings.Output);
        }
    }
}
