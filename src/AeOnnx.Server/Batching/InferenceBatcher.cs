using System.Diagnostics;
using System.Threading.Channels;

namespace AeOnnx.Server.Batching;

/// <summary>
/// Dynamic batching (the idea of Triton's dynamic batcher): rows from concurrent requests wait in
/// one bounded queue; a worker (one or more, each on its own) takes the first waiting row, gathers more rows for the same
/// model and graph until the batch is full or the first row has waited <c>maxDelay</c> (only while
/// traffic is concurrent: after a one-row run it takes what is queued and runs at once), and runs
/// them as one ONNX Runtime call. A row whose request is cancelled (client gone, timeout) before its
/// batch starts is dropped. Rows carry the model their request leased, so a hot swap never mixes
/// models in one run: rows for another model wait for the next batch.
/// </summary>
internal sealed class InferenceBatcher : IAsyncDisposable
{
    private readonly int _maxBatch;
    private readonly TimeSpan _maxDelay;
    private readonly int _capacity;
    private readonly ServerMetrics _metrics;
    private readonly Channel<Row> _queue = Channel.CreateUnbounded<Row>(new UnboundedChannelOptions { SingleReader = false });
    private readonly List<Row>[] _carriedLists;
    private readonly Lock _deviceRuns = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private int _pending;
    private int _running;
    private int _lastRunRows;

    /// <param name="maxBatch">Most rows in one run.</param>
    /// <param name="maxDelay">Longest the first row of a batch waits for companions (while traffic is concurrent).</param>
    /// <param name="capacity">Most rows waiting.</param>
    /// <param name="metrics">Where queue depth and batch sizes go.</param>
    /// <param name="workers">Workers, each gathering and running its own batches from the one queue:
    /// on CPU, one single-threaded run per core beats one run split across the cores for small
    /// models; runs on a GPU take turns.</param>
    public InferenceBatcher(int maxBatch, TimeSpan maxDelay, int capacity, ServerMetrics metrics, int workers = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        _maxBatch = maxBatch;
        _maxDelay = maxDelay;
        _capacity = capacity;
        _metrics = metrics;
        _carriedLists = Enumerable.Range(0, workers).Select(_ => new List<Row>()).ToArray();
        _workers = _carriedLists.Select(carried => Task.Run(() => WorkAsync(carried))).ToArray();
    }

    /// <summary>Workers gathering and running batches.</summary>
    public int Workers => _workers.Length;

    /// <summary>Rows queued and not yet taken into a run.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>
    /// While set and not completed, the worker holds every batch before running it. A test seam that
    /// fills the queue deterministically (429, timeouts, concurrency) without timing assumptions.
    /// </summary>
    internal TaskCompletionSource? Gate { get; set; }

    /// <summary>Runs <paramref name="rows"/> through <paramref name="operation"/> of <paramref name="model"/>, batched with other requests' rows.</summary>
    /// <exception cref="ApiException">429 when the queue cannot take the rows.</exception>
    public Task<float[][]> RunAsync(Autoencoder model, BatchOperation operation, IReadOnlyList<float[]> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return Task.FromResult(Array.Empty<float[]>());
        }

        // An idle batcher (nothing queued, no run going) has nobody to batch with: the rows run at
        // once on the caller's thread, which spares a lone client the hand-off to a worker. As soon
        // as requests overlap they queue and batch as usual. (Not while the test gate holds runs.)
        if (Gate is null && Volatile.Read(ref _pending) == 0 && Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            try
            {
                if (Volatile.Read(ref _pending) == 0)
                {
                    var inline = rows.Select(r => new Row(model, operation, r, cancellationToken)).ToList();
                    var results = inline.Select(r => r.Result.Task).ToArray();
                    Execute(model, operation, inline);
                    return Task.WhenAll(results);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        if (Interlocked.Add(ref _pending, rows.Count) > _capacity)
        {
            Interlocked.Add(ref _pending, -rows.Count);
            throw ApiException.TooManyRequests($"The inference queue is full ({_capacity} rows waiting); retry later.");
        }

        _metrics.QueueDepth.Set(Pending);
        var tasks = new Task<float[]>[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = new Row(model, operation, rows[i], cancellationToken);
            tasks[i] = row.Result.Task;
            if (!_queue.Writer.TryWrite(row))
            {
                row.Fail(ApiException.Unavailable("The server is shutting down."));
                Interlocked.Decrement(ref _pending);
            }
        }

        return Task.WhenAll(tasks);
    }

    /// <summary>Runs rows at once on the calling thread, without batching (the "batching off" side of a comparison).</summary>
    public static float[][] RunDirect(Autoencoder model, BatchOperation operation, IReadOnlyList<float[]> rows)
    {
        var width = rows.Count == 0 ? 0 : rows[0].Length;
        var flat = new float[rows.Count * width];
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(flat, i * width);
        }

        var outWidth = operation == BatchOperation.Encode ? model.LatentDim : model.PixelCount;
        var output = new float[rows.Count * outWidth];
        if (operation == BatchOperation.Encode)
        {
            model.EncodeTensor(flat, output);
        }
        else
        {
            model.DecodeTensor(flat, output);
        }

        var result = new float[rows.Count][];
        for (var i = 0; i < rows.Count; i++)
        {
            result[i] = output.AsSpan(i * outWidth, outWidth).ToArray();
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        Gate?.TrySetResult();
        try
        {
            await Task.WhenAll(_workers).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The worker ends by cancellation or by the closed queue.
        }

        var refusal = ApiException.Unavailable("The server is shutting down.");
        foreach (var row in _carriedLists.SelectMany(c => c))
        {
            row.Fail(refusal);
        }

        while (_queue.Reader.TryRead(out var row))
        {
            row.Fail(refusal);
        }

        _stop.Dispose();
    }

    // Rows of another model or graph than the batch being gathered wait in this worker's own
    // carried list and start its next batch.
    private async Task WorkAsync(List<Row> carried)
    {
        var token = _stop.Token;
        var batch = new List<Row>(_maxBatch);
        while (!token.IsCancellationRequested)
        {
            batch.Clear();
            Row first;
            if (carried.Count > 0)
            {
                first = carried[0];
                carried.RemoveAt(0);
            }
            else
            {
                first = await _queue.Reader.ReadAsync(token).ConfigureAwait(false);
            }

            if (Gate is { } gate)
            {
                await gate.Task.WaitAsync(token).ConfigureAwait(false);
            }

            Take(first, batch);
            for (var i = 0; i < carried.Count && batch.Count < _maxBatch;)
            {
                if (first.SameRun(carried[i]))
                {
                    Take(carried[i], batch);
                    carried.RemoveAt(i);
                }
                else
                {
                    i++;
                }
            }

            await GatherAsync(first, batch, carried, token).ConfigureAwait(false);
            _metrics.QueueDepth.Set(Pending);
            if (batch.Count > 0)
            {
                Interlocked.Increment(ref _running);
                try
                {
                    Execute(first.Model, first.Operation, batch);
                }
                finally
                {
                    Interlocked.Decrement(ref _running);
                }
            }
        }
    }

    private async Task GatherAsync(Row first, List<Row> batch, List<Row> carried, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + _maxDelay;
        while (batch.Count < _maxBatch)
        {
            if (_queue.Reader.TryRead(out var next))
            {
                if (first.SameRun(next))
                {
                    Take(next, batch);
                }
                else
                {
                    carried.Add(next);
                }

                continue;
            }

            // Waiting only pays when requests arrive together: after a run of one row (a lone client)
            // the queue delay would be pure added latency, so run at once and wait again when traffic is concurrent.
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || Volatile.Read(ref _lastRunRows) <= 1)
            {
                return;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
            wait.CancelAfter(remaining);
            try
            {
                if (!await _queue.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void Take(Row row, List<Row> batch)
    {
        Interlocked.Decrement(ref _pending);
        if (!row.Result.Task.IsCompleted)
        {
            batch.Add(row);
        }
    }

    private void Execute(Autoencoder model, BatchOperation operation, List<Row> batch)
    {
        batch.RemoveAll(r => r.Result.Task.IsCompleted);
        if (batch.Count == 0)
        {
            return;
        }

        var label = operation == BatchOperation.Encode ? "encode" : "decode";
        _metrics.BatchSize.WithLabels(label).Observe(batch.Count);
        var started = Stopwatch.GetTimestamp();
        var queueTime = _metrics.QueueTime.WithLabels(label);
        foreach (var row in batch)
        {
            queueTime.Observe(Stopwatch.GetElapsedTime(row.Enqueued, started).TotalSeconds);
        }

        Volatile.Write(ref _lastRunRows, batch.Count);
        try
        {
            // Several runs at once pay on CPU cores; a GPU takes one batch at a time.
            float[][] outputs;
            if (model.Device.Kind == DeviceKind.Cpu)
            {
                outputs = RunDirect(model, operation, batch.Select(r => r.Input).ToArray());
            }
            else
            {
                lock (_deviceRuns)
                {
                    outputs = RunDirect(model, operation, batch.Select(r => r.Input).ToArray());
                }
            }

            _metrics.InferenceTime.WithLabels(label).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(outputs[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var row in batch)
            {
                row.Fail(e);
            }
        }
    }

    private sealed class Row
    {
        public Row(Autoencoder model, BatchOperation operation, float[] input, CancellationToken cancellationToken)
        {
            Model = model;
            Operation = operation;
            Input = input;
            if (cancellationToken.CanBeCanceled)
            {
                // The registration lives as long as the request's token; completing first makes it a no-op.
                cancellationToken.Register(static state => ((TaskCompletionSource<float[]>)state!).TrySetCanceled(), Result);
            }
        }

        public Autoencoder Model { get; }

        /// <summary>When the row was made: its queue time runs from here to its run.</summary>
        public long Enqueued { get; } = Stopwatch.GetTimestamp();

        public BatchOperation Operation { get; }

        public float[] Input { get; }

        public TaskCompletionSource<float[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool SameRun(Row other) => ReferenceEquals(Model, other.Model) && Operation == other.Operation;

        public void Fail(Exception e) => Result.TrySetException(e);
    }
}
