using System.CommandLine;
using AeOnnx.Cli.Jobs;

namespace AeOnnx.Cli.Commands;

/// <summary>
/// <c>aeonnx arithmetic</c>: moves images along the direction between two class centroids (manifest labels)
/// or two folders' centroids: latent + s·(to − from) for strengths s = 0..k, as a labelled grid.
/// </summary>
internal sealed class ArithmeticCommand : VerbCommand
{
    private readonly CommonOptions _common = new();
    private readonly InputOptions _inputs = new();

    private readonly Option<string?> _from = new("--from")
    {
        Description = "Class label (from the manifest's latent.classes) the direction starts at",
        HelpName = "LABEL",
    };

    private readonly Option<string?> _to = new("--to")
    {
        Description = "Class label the direction points to",
        HelpName = "LABEL",
    };

    private readonly Option<string?> _fromFolder = new("--from-folder")
    {
        Description = "Instead of --from: the centroid of this folder's images",
        HelpName = "DIR",
    };

    private readonly Option<string?> _toFolder = new("--to-folder")
    {
        Description = "Instead of --to: the centroid of this folder's images",
        HelpName = "DIR",
    };

    private readonly Option<float> _strength = new("--strength")
    {
        Description = "Largest strength k (the last column adds k times the direction)",
        HelpName = "K",
        DefaultValueFactory = _ => 1f,
    };

    private readonly Option<int> _steps = new("--steps")
    {
        Description = "Columns from strength 0 to k",
        HelpName = "N",
        DefaultValueFactory = _ => 5,
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "PNG grid: a row per image (32 at most), a column per strength (required unless --list-classes)",
        HelpName = "FILE",
    };

    private readonly Option<bool> _listClasses = new("--list-classes")
    {
        Description = "Print the model's class labels and exit",
    };

    public ArithmeticCommand(CliConsole console)
        : base("arithmetic", "Latent arithmetic: move images along the direction from one class (or folder) centroid to another, e.g. shirt -> coat.", console)
    {
        _inputs.AddTo(this);
        Options.Add(_from);
        Options.Add(_to);
        Options.Add(_fromFolder);
        Options.Add(_toFolder);
        Options.Add(_strength);
        Options.Add(_steps);
        Options.Add(_output);
        Options.Add(_listClasses);
        _common.AddTo(this);
        _steps.Validators.Add(r =>
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

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (parse.GetValue(_listClasses))
        {
            return Task.FromResult(ArithmeticJob.ListClasses(Console, _common.Bind(parse)));
        }

        var settings = new ArithmeticJob.Settings(
            _inputs.Bind(parse),
            parse.GetValue(_from),
            parse.GetValue(_to),
            parse.GetValue(_fromFolder),
            parse.GetValue(_toFolder),
            parse.GetValue(_strength),
            parse.GetValue(_steps),
            parse.GetValue(_output),
            _common.Bind(parse));
        return new ArithmeticJob(Console, settings).RunAsync(cancellationToken);
    }
}
