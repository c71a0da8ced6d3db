namespace AeOnnx.Server.Hosting;

/// <summary>What a reload did: swapped in a model, refused the folder (the old model serves on), or was overtaken by a later reload.</summary>
internal sealed record ReloadOutcome(ServedModel? Identity, SwapRefusal? Refusal)
{
    public static ReloadOutcome Superseded { get; } = new(null, null);

    public static ReloadOutcome Swapped(ServedModel identity) => new(identity, null);

    public static ReloadOutcome Refused(SwapRefusal refusal) => new(null, refusal);
}
