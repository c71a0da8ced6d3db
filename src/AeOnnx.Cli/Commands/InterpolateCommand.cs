using System.CommandLine;
using AeOnnx.Cli.Jobs;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx interpolate</c>: a path through the latents of key images, as a labelled grid and a looping GIF.</summary>
internal sealed class InterpolateCommand : VerbCommand
{
    private readonly CommonOptions _common = new();

    private readonly Argument<string[]> _images = new("IMAGE")
    {
        Description = "Two or more key images, visited in order",
        Arity = new ArgumentArity(2, 64),
    };

    private readonly Option<int> _steps = new("--steps")
    {
        Description = "Images per segment, both key images included",
        HelpName = "N",
        DefaultValueFactory = _ => 8,
    };

    private readonly Option<string> _mode = new("--mode")
    {
        Description = "lerp (straight line) or slerp (along the sphere, keeps the norm)",
        HelpName = "lerp|slerp",
        DefaultValueFactory = _ => "slerp",
    };

    private readonly Option<string> _layout = new("--layout")
    {
        Description = "rows: one row per segment; strip: one long row through all key images",
        HelpName = "rows|strip",
        DefaultValueFactory = _ => "rows",
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "PNG grid of the path, labelled",
        HelpName = "FILE",
        Required = true,
    };

    private readonly Option<string?> _gif = new("--gif")
    {
        Description = "Also write the path as a looping animated GIF (forth and back)",
        HelpName = "FILE",
    };

    private readonly Option<int> _frameMs = new("--frame-ms")
    {
        Description = "GIF frame duration in milliseconds",
        HelpName = "MS",
        DefaultValueFactory = _ => 120,
    };

    public InterpolateCommand(CliConsole console)
        : base("interpolate", "Walk through latent space between key images: a labelled grid (PNG) and an animated, looping GIF.", console)
    {
        Arguments.Add(_images);
        Options.Add(_steps);
        Options.Add(_mode);
        Options.Add(_layout);
        Options.Add(_output);
        Options.Add(_gif);
        Options.Add(_frameMs);
        _common.AddTo(this);
        _mode.AcceptOnlyFromAmong("lerp", "slerp");
        _layout.AcceptOnlyFromAmong("rows", "strip");
        _steps.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 2 or > 256)
            {
                r.AddError("--steps must be between 2 and 256.");
            }
        });
        _frameMs.Validators.Add(r =>
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
        var settings = new InterpolateJob.Settings(
            parse.GetValue(_images)!,
            parse.GetValue(_steps),
            parse.GetValue(_mode)!,
            parse.GetValue(_layout) == "strip",
            parse.GetValue(_output)!,
            parse.GetValue(_gif),
            parse.GetValue(_frameMs),
            _common.Bind(parse));
        return Task.FromResult(new InterpolateJob(Console, settings).Run());
    }
}
