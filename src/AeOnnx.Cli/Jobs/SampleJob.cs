using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using AeOnnx.Latents;

namespace AeOnnx.Cli.Jobs;

/// <summary><c>aeonnx sample</c>: new images decoded from random latents (the fitted latent Gaussian, or a VAE's prior).</summary>
internal sealed class SampleJob(CliConsole console, SampleJob.Settings settings)
{
    internal sealed record Settings(int Count, int Seed, float Temperature, LatentSource From, int Columns, string Output, string? Latents, ModelSettings Model);

    public int Run(CancellationToken cancellationToken)
    {
        var gridPath = settings.Output;
        var npyPath = settings.Latents;
        var outputs = new JobOutputs().File("--output", gridPath).File("--latents", npyPath);
        using var job = Job.Open(console, "sample", settings.Model.Quiet, outputs, AtomicFile.Sibling(gridPath, ".aeonnx-lock"), [], writable: [gridPath, npyPath]);
        using var model = settings.Model.Load(console);
        var (latents, fromPrior) = Draw(model);
        var n = settings.Count;
        var nonFinite = new List<int>();
        var cols = Math.Min(settings.Columns, n);
        using (var grid = new ImageGrid((n + cols - 1) / cols, cols, model.Width, model.Height))
        {
            grid.Title = string.Create(CultureInfo.InvariantCulture, $"{model.Name}: {n} samples, {(fromPrior ? "prior N(0, I)" : "fitted latent Gaussian")}, seed {settings.Seed}, T={settings.Temperature:0.##}");
            for (var start = 0; start < n; start += settings.Model.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var decoded = model.DecodeBatch(latents.Skip(start).Take(settings.Model.BatchSize).ToList());
                for (var i = 0; i < decoded.Length; i++)
                {
                    var at = start + i;
                    if ((FailureReason.NonFiniteLatent(latents[at]) ?? FailureReason.NonFinite("decoded image", decoded[i])) is { } reason)
                    {
                        // Left blank (never drawn as black pixels), reported, and kept out of --latents.
                        nonFinite.Add(at);
                        console.Error.WriteLine($"sample #{at}: {reason}");
                        grid.SetEmpty(at / cols, at % cols, $"#{at} non-finite");
                        continue;
                    }

                    grid.Set(at / cols, at % cols, GridImages.FromOutput(model, decoded[i]), "#" + at.ToString(CultureInfo.InvariantCulture));
                }
            }

            grid.SavePng(gridPath);
        }

        if (npyPath is not null && nonFinite.Count == 0)
        {
            AtomicFile.Write(npyPath, stream => NpyWriter.Write(stream, latents.SelectMany(z => z).ToArray(), model.LatentDim));
        }
        else if (npyPath is not null)
        {
            console.Error.WriteLine($"sample: --latents '{npyPath}' not written: {nonFinite.Count} of {n} samples are not finite (their rows would not be latents).");
        }

        return job.Finish(nonFinite.Count, $"sampled {n} images (seed {settings.Seed}) -> {gridPath}" + (npyPath is null ? string.Empty : $", latents {npyPath}"));
    }

    /// <summary>The latents: drawn from the distribution asked for, spread scaled by the temperature.</summary>
    private (float[][] Latents, bool FromPrior) Draw(Autoencoder model)
    {
        LatentGaussian distribution;
        try
        {
            distribution = model.GetSamplingDistribution(settings.From);
        }
        catch (InvalidOperationException e)
        {
            // Asking an autoencoder for its prior is a wrong option; a manifest without statistics is a model that cannot do this.
            throw settings.From == LatentSource.Prior ? CliException.Usage("--from prior: " + e.Message) : CliException.Fatal(e.Message);
        }

        var latents = distribution.Sample(settings.Count, settings.Seed);
        var t = settings.Temperature;
        if (t != 1f)
        {
            var mean = distribution.GetMean();
            latents = latents.Select(z => LatentMath.Add(mean, LatentMath.Scale(LatentMath.Subtract(z, mean), t))).ToArray();
        }

        return (latents, ReferenceEquals(distribution, model.PriorDistribution));
    }
}
