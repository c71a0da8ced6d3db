using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// Gives memory back after a burst. Large buffers are not pooled (the core allocates decodes above
/// 1 MiB, ImageSharp's pool is capped), so what a burst allocated is garbage once its requests have
/// answered; but an idle server allocates nothing, so no collection would run and the heap (and the
/// process's resident memory) would stay at the burst's size. Once the budgets are idle after a burst
/// that used at least a quarter of the working budget, one aggressive, compacting collection returns
/// the freed memory to the operating system.
/// </summary>
internal sealed class MemoryReturner(RequestBudgets budgets, ILogger<MemoryReturner> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        long burst = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            burst = Math.Max(burst, budgets.Working.TakePeak() + budgets.Bodies.TakePeak());
            if (budgets.Working.InUse != 0 || budgets.Bodies.InUse != 0 || burst < budgets.Working.Capacity / 4)
            {
                continue;
            }

            var before = Environment.WorkingSet;
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            logger.LogInformation("returned memory after a burst of {Burst} MiB reserved: working set {Before} -> {After} MiB", burst >> 20, before >> 20, Environment.WorkingSet >> 20);
            budgets.Returns++;
            burst = 0;
        }
    }
}
