using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace AeOnnx.Cli.Commands;

/// <summary>The standard help, followed by the verb's examples and the exit codes.</summary>
internal sealed class HelpWithExamplesAction : SynchronousCommandLineAction
{
    private readonly HelpAction standard;
    private readonly string rootEpilog;

    public HelpWithExamplesAction(HelpAction standard, string rootEpilog)
    {
        this.standard = standard;
        this.rootEpilog = rootEpilog;
    }

    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        int result = standard.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        string epilog = parseResult.CommandResult.Command is VerbCommand verb
            ? "Examples:\n" + verb.Examples.TrimEnd() + "\n\n" + verb.ExitCodeHelp
            : rootEpilog;
        output.WriteLine(epilog);
        return result;
    }
}
