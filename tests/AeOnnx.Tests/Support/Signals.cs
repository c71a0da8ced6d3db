namespace AeOnnx.Tests.Support;

/// <summary>What the test process itself inherited about signals (linked into the CLI and service tests).</summary>
internal static class Signals
{
    /// <summary>
    /// True when this process runs with SIGINT ignored, as every child of a shell's background job (`cmd &amp;` in a
    /// script) does. Its children inherit that, and the .NET runtime keeps an inherited ignore (as programs
    /// started in the background should), so a test cannot interrupt a child with Ctrl+C's signal then.
    /// </summary>
    public static bool SigintIgnored()
    {
        var mask = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))?[7..].Trim();
        return mask is not null && (Convert.ToUInt64(mask, 16) & (1UL << (2 - 1))) != 0;
    }

    /// <summary>The reason a test that sends SIGINT to a child is skipped when <see cref="SigintIgnored"/>.</summary>
    public const string SigintIgnoredReason = "this test runner was started with SIGINT ignored (e.g. `cmd &` in a script), so its child cannot receive Ctrl+C";
}
