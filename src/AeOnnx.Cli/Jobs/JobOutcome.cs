using AeOnnx.Cli.Inputs;
using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Jobs;

/// <summary>One input's outcome under the job rule: done (finite results) or skipped with the reason.</summary>
internal sealed record JobOutcome(InputItem Item, PipelineResult? Result, string? SkipReason)
{
    public bool IsOk => SkipReason is null && Result is not null;

    /// <summary>The finite latent of a done input.</summary>
    public float[] Latent => IsOk && Result!.Latent is { } latent ? latent : throw new InvalidOperationException($"{Item.DisplayPath} was skipped: {SkipReason}");
}
