using System.CommandLine;
using AeOnnx.Cli.Jobs;
using AeOnnx.Imaging;

namespace AeOnnx.Cli.Commands;

/// <summary>How batch verbs take images: INPUT arguments, --list files and a --pattern filter for folders.</summary>
internal sealed class InputOptions
{
    public Argument<string[]> Inputs { get; } = new("INPUT")
    {
        Description = "Image files, folders (searched recursively), quoted globs ('imgs/**/*.png') or @list.txt (one path a line)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Option<string[]> List { get; } = new("--list")
    {
        Description = "A text file with one input path a line ('#' comments), relative to the current folder",
        HelpName = "FILE",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> Pattern { get; } = new("--pattern")
    {
        Description = $"Glob for files inside folders: '*.png', 'train/**/*.jpg' (default: {ImageFormats.ExtensionGlobs})",
        HelpName = "GLOB",
    };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Inputs);
        command.Options.Add(List);
        command.Options.Add(Pattern);
    }

    /// <summary>The inputs as given, for the job.</summary>
    public InputSelection Bind(ParseResult parse) => new(parse.GetValue(Inputs) ?? [], parse.GetValue(List) ?? [], parse.GetValue(Pattern));
}
