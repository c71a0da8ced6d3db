namespace AeOnnx.ML.Extensions;

/// <summary>A watched model's change was tried: swapped in (<see cref="Error"/> null) or refused.</summary>
/// <param name="modelName">The model's name.</param>
/// <param name="error">Why the change was refused (the current model keeps serving); null when it was swapped in.</param>
public sealed class ModelReloadedEventArgs(string modelName, string? error) : EventArgs
{
    /// <summary>The model's name.</summary>
    public string ModelName { get; } = modelName;

    /// <summary>Why the change was refused; null when it was swapped in.</summary>
    public string? Error { get; } = error;

    /// <summary>Whether the change now serves new predictions.</summary>
    public bool Swapped => Error is null;
}
