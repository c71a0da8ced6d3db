using System.CommandLine;
using AeOnnx.Cli.Jobs;
using AeOnnx.Latents;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx sample</c>: new images decoded from random latents (VAE prior, AE latent Gaussian).</summary>
internal sealed class SampleCommand : VerbCommand
{
    private readonly CommonOptions _common = new();

    private readonly Option<int> _count = new("--count", "-n")
    {
        Description = "How many images (1 to 1024)",
        HelpName = "N",
        DefaultValueFactory = _ => 16,
    };

    private readonly Option<int> _seed = new("--seed")
    {
        Description = "Random seed (the same seed gives the same images)",
        HelpName = "S",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<float> _temperature = new("--temperature")
    {
        Description = "Scale of the random deviation from the mean (1: the fitted spread)",
        HelpName = "T",
        DefaultValueFactory = _ => 1f,
    };

    private readonly Option<string> _from = new("--from")
    {
        Description = "Latent distribution: fitted (the Gaussian fitted to the training set's latents, from the manifest), prior (a VAE's N(0, I)), or auto (fitted when the manifest has it, else the prior)",
        HelpName = "auto|fitted|prior",
        DefaultValueFactory = _ => "auto",
    };

    private readonly Option<int> _columns = new("--columns")
    {
        Description = "Grid columns",
        HelpName = "N",
        DefaultValueFactory = _ => 8,
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "PNG grid of the samples",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> _latentsOut = new("--latents")
    {
        Description = "Also write the sampled latents as .npy",
        HelpName = "FILE",
    };

    public SampleCommand(CliConsole console)
        : base("sample", "Generate new images: latents drawn from the Gaussian fitted to the training set's latents (or a VAE's prior N(0, I)), decoded.", console)
    {
        Options.Add(_count);
        Options.Add(_seed);
        Options.Add(_temperature);
        Options.Add(_from);
        Options.Add(_columns);
        Options.Add(_output);
        Options.Add(_latentsOut);
        _common.AddTo(this);
        _count.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1024)
            {
                r.AddError("--count must be between 1 and 1024 (one grid).");
            }
        });
        _columns.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--columns must be at least 1.");
            }
        });
        _from.AcceptOnlyFromAmong("auto", "fitted", "prior");
        _temperature.Validators.Add(r =>
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
        var source = parse.GetValue(_from) switch
        {
            "fitted" => LatentSource.Fitted,
            "prior" => LatentSource.Prior,
            _ => LatentSource.Auto,
        };
        var settings = new SampleJob.Settings(
            parse.GetValue(_count),
            parse.GetValue(_seed),
            parse.GetValue(_temperature),
            source,
            parse.GetValue(_columns),
            parse.GetValue(_output)!,
            parse.GetValue(_latentsOut),
            _common.Bind(parse));
        return Task.FromResult(new SampleJob(Console, settings).Run(cancellationToken));
    }
}
