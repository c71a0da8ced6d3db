namespace AeOnnx.Server.Hosting;

/// <summary>What a reload did: swapped in a model, found the served one unchanged, refused the folder (the old model serves on), or was overtaken by a later reload.</summary>
internal sealed record ReloadOutcome(ServedModel? Identity, SwapRefusal? Refusal, bool IsUnchanged = false)
{
    public static ReloadOutcome Unchanged(ServedModel current) => new(current, null, true);

    public static ReloadOutcome Superseded { get; } = new(null, null);

    public static ReloadOutcome Swapped(ServedModel identity) => new(identity, null);

    public static ReloadOutcome Refused(SwapRefusal refusal) => new(null, refusal);
}
