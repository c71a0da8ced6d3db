using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Inputs;

/// <summary>One input's outcome in input order: the pipeline's result, or the reason it was screened out.</summary>
internal sealed record ScreenedResult(InputItem Item, PipelineResult? Result, string? ScreenReason)
{
    public bool Succeeded => Result is { Succeeded: true };
}
