namespace AeOnnx;

/// <summary>The argument checks of the tensor API: whole items in, exactly sized destinations out.</summary>
internal static class TensorArguments
{
    /// <summary>How many items of <paramref name="size"/> floats a flat span holds; refuses empty or ragged spans.</summary>
    public static int CountItems(int length, int size, string name)
    {
        if (length == 0 || length % size != 0)
        {
            throw new ArgumentException($"Expected a positive multiple of {size} floats, got {length}.", name);
        }

        return length / size;
    }

    // Exact, not "at least": a longer destination would leave its tail untouched, and a caller who
    // passed a whole pooled buffer would read stale floats there as if they were results.
    public static void CheckDestination(int length, int needed, string name)
    {
        if (length != needed)
        {
            throw new ArgumentException($"Expected exactly {needed} floats for the destination (one per output value of the given items), got {length}.", name);
        }
    }

    public static void CheckExact(int length, int expected, string name)
    {
        if (length != expected)
        {
            throw new ArgumentException($"Expected exactly {expected} floats, got {length}.", name);
        }
    }
}
