namespace AeOnnx.Models;

/// <summary>The manifest's <c>output</c> object: what the decoder's values mean.</summary>
public sealed record OutputSpec
{
    /// <summary>Final activation of the decoder, e.g. <c>sigmoid</c>.</summary>
    public string? Activation { get; init; }
}
