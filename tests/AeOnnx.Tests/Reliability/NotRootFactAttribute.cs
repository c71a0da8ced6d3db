namespace AeOnnx.Tests.Reliability;

/// <summary>A fact skipped, with the reason, when the tests run as root (file permissions do not apply to root).</summary>
public sealed class NotRootFactAttribute : FactAttribute
{
    public NotRootFactAttribute()
    {
        if (BadImageCorpus.IsRoot)
        {
            Skip = "running as root: chmod 000 does not stop root from reading; Unreadable is covered by the /proc/self/mem and FIFO kinds";
        }
    }
}
