using System.Collections.Concurrent;

namespace AeOnnx.ML.Tests.Support;

/// <summary>
/// Model swaps with predictions in flight: <c>threads</c> threads predict rows in a loop while the test
/// thread makes <c>swaps</c> swaps, each after at least <c>between</c> more predictions (so every swap
/// meets calls in flight), and once more that many after the last. The test thread waits on an event
/// the predicting threads set, not on a clock; a failure ends the run early.
/// </summary>
internal sealed class SwapsUnderLoad
{
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ManualResetEventSlim _reached = new();
    private long _predictions;
    private long _target;

    /// <summary>What went wrong, one line per failed prediction.</summary>
    public IReadOnlyCollection<string> Failures => _failures;

    /// <summary>Predictions made.</summary>
    public long Predictions => Interlocked.Read(ref _predictions);

    /// <summary>Runs the load.</summary>
    /// <param name="threads">Predicting threads.</param>
    /// <param name="rows">Row count: thread t predicts rows t, t+1, ... modulo this.</param>
    /// <param name="swaps">Swaps to make.</param>
    /// <param name="between">Predictions before each swap and after the last.</param>
    /// <param name="predict">Predicts row i; returns what was wrong with the answer, or null. Exceptions count as failures.</param>
    /// <param name="swap">Makes swap k (0-based).</param>
    public static SwapsUnderLoad Run(int threads, int rows, int swaps, int between, Func<int, string?> predict, Action<int> swap)
    {
        var load = new SwapsUnderLoad();
        var stop = 0;
        var workers = Enumerable.Range(0, threads).Select(id => new Thread(() =>
        {
            for (var n = id; Volatile.Read(ref stop) == 0; n++)
            {
                var i = n % rows;
                string? failure;
                try
                {
                    failure = predict(i);
                }
                catch (Exception e)
                {
                    failure = $"{e.GetType().Name}: {e.Message}";
                }

                if (failure is not null)
                {
                    load._failures.Enqueue($"row {i}: {failure}");
                    load._reached.Set();
                }

                if (Interlocked.Increment(ref load._predictions) >= Interlocked.Read(ref load._target))
                {
                    load._reached.Set();
                }
            }
        })).ToArray();

        foreach (var worker in workers)
        {
            worker.Start();
        }

        try
        {
            for (var k = 0; k <= swaps && load._failures.IsEmpty; k++)
            {
                load.AwaitMore(between);
                if (k < swaps && load._failures.IsEmpty)
                {
                    swap(k);
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            foreach (var worker in workers)
            {
                worker.Join();
            }
        }

        return load;
    }

    private void AwaitMore(int count)
    {
        var target = Predictions + count;
        Interlocked.Exchange(ref _target, target);
        while (Predictions < target && _failures.IsEmpty)
        {
            // A set from before the new target (a worker that read the old one) only costs another turn.
            _reached.Reset();
            if (Predictions >= target || !_failures.IsEmpty)
            {
                return;
            }

            // Generous: this asserts progress, not a time (a stuck prediction fails the test instead of hanging it).
            if (!_reached.Wait(TimeSpan.FromMinutes(5)))
            {
                _failures.Enqueue($"no progress: {Predictions} predictions, waiting for {target}");
                return;
            }
        }
    }
}
