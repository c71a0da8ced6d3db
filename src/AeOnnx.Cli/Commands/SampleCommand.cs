using System.CommandLine;
using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Output;
using AeOnnx.IO;
using AeOnnx.Latents;
using SixLabors.ImageSharp;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx sample</c>: new images decoded from random latents (VAE prior, AE latent Gaussian).</summary>
internal sealed class SampleCommand : VerbCommand
{
    private readonly CommonOptions common = new();

    private readonly Option<int> count = new("--count", "-n")
    {
        Description = "How many images (1 to 1024)",
        HelpName = "N",
        DefaultValueFactory = _ => 16,
    };

    private readonly Option<int> seed = new("--seed")
    {
        Description = "Random seed (the same seed gives the same images)",
        HelpName = "S",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<float> temperature = new("--temperature")
    {
        Description = "Scale of the random deviation from the mean (1: the fitted spread)",
        HelpName = "T",
        DefaultValueFactory = _ => 1f,
    };

    private readonly Option<string> from = new("--from")
    {
        Description = "Latent distribution: fitted (the Gaussian fitted to the training set's latents, from the manifest), prior (a VAE's N(0, I)), or auto (fitted when the manifest has it, else the prior)",
        HelpName = "auto|fitted|prior",
        DefaultValueFactory = _ => "auto",
    };

    private readonly Option<int> columns = new("--columns")
    {
        Description = "Grid columns",
        HelpName = "N",
        DefaultValueFactory = _ => 8,
    };

    private readonly Option<string> output = new("--output", "-o")
    {
        Description = "PNG grid of the samples",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> latentsOut = new("--latents")
    {
        Description = "Also write the sampled latents as .npy",
        HelpName = "FILE",
    };

    public SampleCommand(CliConsole console)
        : base("sample", "Generate new images: latents drawn from the Gaussian fitted to the training set's latents (or a VAE's prior N(0, I)), decoded.", console)
    {
        Options.Add(count);
        Options.Add(seed);
        Options.Add(temperature);
        Options.Add(from);
        Options.Add(columns);
        Options.Add(output);
        Options.Add(latentsOut);
        common.AddTo(this);
        count.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1024)
            {
                r.AddError("--count must be between 1 and 1024 (one grid).");
            }
        });
        columns.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--columns must be at least 1.");
            }
        });
        from.AcceptOnlyFromAmong("auto", "fitted", "prior");
        temperature.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<float>() >= 0))
            {
                r.AddError("--temperature must be 0 or more.");
            }
        });
    }

    public override string Examples => """
          aeonnx sample --count 32 --seed 7 --output samples.png
          aeonnx sample --model models/fashion-mnist-vae --count 64 --columns 8 --output vae.png --latents z.npy
          aeonnx sample --model models/fashion-mnist-vae --from prior --output prior.png
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        int n = parse.GetValue(count);
        int randomSeed = parse.GetValue(seed);
        float t = parse.GetValue(temperature);
        string gridPath = parse.GetValue(output)!;
        string? npyPath = parse.GetValue(latentsOut);
        var outputs = new JobOutputs().File("--output", gridPath).File("--latents", npyPath);
        using var claim = outputs.Claim(Array.Empty<(string, string)>(), AtomicFile.Sibling(gridPath, ".aeonnx-lock"));
        OutputFiles.CheckWritable(gridPath);
        if (npyPath is not null)
        {
            OutputFiles.CheckWritable(npyPath);
        }

        using var model = common.LoadModel(parse, Console);
        var source = parse.GetValue(from) switch
        {
            "fitted" => LatentSource.Fitted,
            "prior" => LatentSource.Prior,
            _ => LatentSource.Auto,
        };
        LatentGaussian distribution;
        try
        {
            distribution = model.GetSamplingDistribution(source);
        }
        catch (InvalidOperationException e)
        {
            // Asking an autoencoder for its prior is a wrong option; a manifest without statistics is a model that cannot do this.
            throw source == LatentSource.Prior ? CliException.Usage("--from prior: " + e.Message) : CliException.Fatal(e.Message);
        }

        float[][] latents = distribution.Sample(n, randomSeed);
        bool fromPrior = ReferenceEquals(distribution, model.PriorDistribution);
        if (t != 1f)
        {
            float[] mean = distribution.GetMean();
            latents = latents.Select(z => LatentMath.Add(mean, LatentMath.Scale(LatentMath.Subtract(z, mean), t))).ToArray();
        }

        int batchSize = parse.GetValue(common.BatchSize);
        int cols = Math.Min(parse.GetValue(columns), n);
        using var grid = new ImageGrid((n + cols - 1) / cols, cols, model.Width, model.Height)
        {
            Title = string.Create(CultureInfo.InvariantCulture, $"{model.Name}: {n} samples, {(fromPrior ? "prior N(0, I)" : "fitted latent Gaussian")}, seed {randomSeed}, T={t:0.##}"),
        };
        var nonFinite = new List<int>();
        for (int start = 0; start < n; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float[][] decoded = model.DecodeBatch(latents.Skip(start).Take(batchSize).ToList());
            for (int i = 0; i < decoded.Length; i++)
            {
                if ((FailureReason.NonFiniteLatent(latents[start + i]) ?? FailureReason.NonFinite("decoded image", decoded[i])) is { } reason)
                {
                    // Left blank (never drawn as black pixels), reported, and kept out of --latents.
                    nonFinite.Add(start + i);
                    Console.Error.WriteLine($"sample #{start + i}: {reason}");
                    grid.SetEmpty((start + i) / cols, (start + i) % cols, $"#{start + i} non-finite");
                    continue;
                }

                var cell = GridImages.FromOutput(model, decoded[i]);
                grid.Set((start + i) / cols, (start + i) % cols, cell, "#" + (start + i).ToString(CultureInfo.InvariantCulture));
            }
        }

        grid.SavePng(gridPath);
        if (npyPath is not null && nonFinite.Count == 0)
        {
            AtomicFile.Write(npyPath, stream => NpyWriter.Write(stream, latents.SelectMany(z => z).ToArray(), model.LatentDim));
        }
        else if (npyPath is not null)
        {
            Console.Error.WriteLine($"sample: --latents '{npyPath}' not written: {nonFinite.Count} of {n} samples are not finite (their rows would not be latents).");
        }

        if (!parse.GetValue(common.Quiet))
        {
            Console.Out.WriteLine($"sampled {n} images (seed {randomSeed}) -> {gridPath}" + (npyPath is null ? string.Empty : $", latents {npyPath}"));
        }

        return Task.FromResult(nonFinite.Count > 0 ? ExitCodes.SomeInputsSkipped : ExitCodes.Success);
    }
}
