using System.CommandLine;
using AeOnnx.Imaging;
using AeOnnx.Cli.Inputs;
using AeOnnx.Cli.Output;

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

    /// <summary>The deterministic input list; a usage error when nothing matched.</summary>
    public IReadOnlyList<InputItem> Resolve(ParseResult parse, JobOutputs outputs)
    {
        string[] inputs = parse.GetValue(Inputs) ?? [];
        string[] lists = parse.GetValue(List) ?? [];
        if (inputs.Length == 0 && lists.Length == 0)
        {
            throw CliException.Usage("no INPUT given: name image files, folders, globs or a list (@list.txt or --list).");
        }

        foreach (string input in inputs)
        {
            // System.CommandLine hands unknown options to the INPUT argument; a real file may still start with '-'.
            if (input.StartsWith('-') && input.Length > 1 && !File.Exists(input) && !Directory.Exists(input))
            {
                throw CliException.Usage($"unknown option '{input}'.");
            }
        }

        var items = InputResolver.Resolve(inputs, lists, parse.GetValue(Pattern), Environment.CurrentDirectory, outputs.Folders);
        if (items.Count == 0)
        {
            throw CliException.Usage("no input images found (folders are searched for " +
                (parse.GetValue(Pattern) ?? ImageFormats.ExtensionGlobs) + ").");
        }

        return items;
    }
}
