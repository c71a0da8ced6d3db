using AeOnnx.Cli.Inputs;
using AeOnnx.Imaging;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// The images a batch verb was given (INPUT arguments, <c>--list</c> files, the <c>--pattern</c> for
/// folders; bound by <see cref="Commands.InputOptions"/>), resolved into the job's input list.
/// </summary>
internal sealed record InputSelection(string[] Inputs, string[] Lists, string? Pattern)
{
    /// <summary>The deterministic input list, without the job's output folders; a usage error when nothing matched.</summary>
    public IReadOnlyList<InputItem> Resolve(JobOutputs outputs)
    {
        if (Inputs.Length == 0 && Lists.Length == 0)
        {
            throw CliException.Usage("no INPUT given: name image files, folders, globs or a list (@list.txt or --list).");
        }

        foreach (var input in Inputs)
        {
            // System.CommandLine hands unknown options to the INPUT argument; a real file may still start with '-'.
            if (input.StartsWith('-') && input.Length > 1 && !File.Exists(input) && !Directory.Exists(input))
            {
                throw CliException.Usage($"unknown option '{input}'.");
            }
        }

        var items = InputResolver.Resolve(Inputs, Lists, Pattern, Environment.CurrentDirectory, outputs.Folders);
        if (items.Count == 0)
        {
            throw CliException.Usage("no input images found (folders are searched for " + (Pattern ?? ImageFormats.ExtensionGlobs) + ").");
        }

        return items;
    }

    /// <summary>The images of one more folder (arithmetic's <c>--from-folder</c>/<c>--to-folder</c>), by the same pattern.</summary>
    public IReadOnlyList<InputItem> ResolveFolder(string folder, JobOutputs outputs) =>
        InputResolver.Resolve([folder], [], Pattern, Environment.CurrentDirectory, outputs.Folders);
}
