namespace AeOnnx.Tests.Support;

/// <summary>
/// Waits for work that must return by itself (a load that could block on a FIFO, a pipeline that
/// could wait for ever). The bound is far above what any run takes on a loaded machine, so it asserts
/// no speed: it turns a hang into a failure instead of a stuck test run.
/// </summary>
internal static class Hang
{
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    /// <summary>Waits until <paramref name="work"/> has finished (succeeded or failed) and returns it.</summary>
    public static async Task<T> Returned<T>(T work, string what)
        where T : Task
    {
        using var hang = new CancellationTokenSource(Bound);
        try
        {
            await work.WaitAsync(hang.Token);
        }
        catch (OperationCanceledException) when (hang.IsCancellationRequested && !work.IsCompleted)
        {
            Assert.Fail($"{what} never returned (no result after {Bound.TotalMinutes} minutes: a hang)");
        }
        catch
        {
            // The work's own failure is the caller's to check.
        }

        return work;
    }
}
