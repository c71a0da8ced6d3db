using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace AeOnnx.Cli.Commands;

/// <summary>The standard help, followed by the verb's examples and the exit codes.</summary>
internal sealed class HelpWithExamplesAction : SynchronousCommandLineAction
{
    private readonly HelpAction _standard;
    private readonly string _rootEpilog;

    public HelpWithExamplesAction(HelpAction standard, string rootEpilog)
    {
        this._standard = standard;
        this._rootEpilog = rootEpilog;
    }

    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var result = _standard.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        var epilog = parseResult.CommandResult.Command is VerbCommand verb
            ? "Examples:\n" + verb.Examples.TrimEnd() + "\n\n" + verb.ExitCodeHelp
            : _rootEpilog;
        output.WriteLine(epilog);
        return result;
    }
}
