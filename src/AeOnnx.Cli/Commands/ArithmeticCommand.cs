using System.CommandLine;
using AeOnnx.Cli.Jobs;

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

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (parse.GetValue(listClasses))
        {
            return Task.FromResult(ArithmeticJob.ListClasses(Console, common.Bind(parse)));
        }

        var settings = new ArithmeticJob.Settings(
            inputs.Bind(parse),
            parse.GetValue(from),
            parse.GetValue(to),
            parse.GetValue(fromFolder),
            parse.GetValue(toFolder),
            parse.GetValue(strength),
            parse.GetValue(steps),
            parse.GetValue(output),
            common.Bind(parse));
        return new ArithmeticJob(Console, settings).RunAsync(cancellationToken);
    }
}
