using System.Globalization;

namespace AeOnnx.Cli.Inputs;

/// <summary>
/// <c>--shard K/N</c>: the K-th (1-based) of N contiguous, near-equal blocks of the sorted input list.
/// Contiguous blocks make <c>aeonnx merge</c> a concatenation in K order, equal to the unsharded run.
/// </summary>
internal readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>More parts than this is a typo, not a plan (and merge checks every part).</summary>
    public const int MaxCount = 10000;

    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var k)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            || n < 1 || k < 1 || k > n || n > MaxCount)
        {
            var shown = text.Length > 40 ? text[..40] + "..." : text;
            throw CliException.Usage($"--shard expects K/N with 1 <= K <= N <= {MaxCount} (for example 2/4), got '{shown}'.");
        }

        return new ShardSpec(k, n);
    }

    /// <summary>The first position and the number of items of this shard in a list of <paramref name="total"/>.</summary>
    public (int Start, int Length) Range(int total)
    {
        var start = (int)((long)(Index - 1) * total / Count);
        var end = (int)((long)Index * total / Count);
        return (start, end - start);
    }

    public override string ToString() => $"{Index}/{Count}";
}
