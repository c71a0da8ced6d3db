namespace AeOnnx;

/// <summary>
/// The process exit codes of <c>aeonnx</c>, in one place: <see cref="FailureTable"/> maps each kind of
/// failure to one of them (and to an HTTP status for the service).
/// </summary>
internal static class ExitCodes
{
    /// <summary>Every input was processed.</summary>
    public const int Success = 0;

    /// <summary>Nothing useful could be done: bad or incompatible model, unwritable output, internal error.</summary>
    public const int Fatal = 1;

    /// <summary>The command line is wrong: unknown option, bad value, no inputs, a data file that does not parse.</summary>
    public const int Usage = 2;

    /// <summary>The job finished but some inputs were skipped (listed in the index with the reason).</summary>
    public const int SomeInputsSkipped = 3;

    /// <summary>
    /// <c>outliers</c> with <c>--fpr</c> or <c>--threshold</c> marked at least one image anomalous (each marked in
    /// the report); it takes precedence over <see cref="SomeInputsSkipped"/>, whose inputs the report lists too.
    /// </summary>
    public const int AnomaliesFound = 4;

    /// <summary>Interrupted (Ctrl+C); verbs with a journal keep it, so <c>--resume</c> continues the job.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit codes as <c>aeonnx --help</c> prints them.</summary>
    public const string HelpText =
        "Exit codes:\n" +
        "  0    all inputs done\n" +
        "  3    done, but some inputs were skipped (each listed in the index CSV with the reason)\n" +
        "  4    outliers --fpr/--threshold: done, and some images were marked anomalous (before 3)\n" +
        "  2    usage error (bad option, value or pattern, no inputs, an output over an input, a data file that does not parse)\n" +
        "  1    fatal: bad or incompatible model, a model that fails when run, unwritable or locked output, unexpected error\n" +
        "  130  interrupted; encode and reconstruct continue with --resume\n";

    /// <summary>The exit codes of <c>aeonnx serve</c>, a server rather than a job over inputs.</summary>
    public const string ServeHelpText =
        "Exit codes:\n" +
        "  0    stopped by Ctrl+C or SIGTERM (in-flight requests finished)\n" +
        "  2    usage error (bad option or value)\n" +
        "  1    could not start: bad or incompatible model, a model that cannot answer a request, the address in use or not bindable\n";
}
