using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Inputs;

/// <summary>One input's outcome in input order, paired with the input it belongs to.</summary>
internal sealed record ScreenedResult(InputItem Item, PipelineResult? Result)
{
    public bool Succeeded => Result is { Succeeded: true };
}
