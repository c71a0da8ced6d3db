using Prometheus;

namespace AeOnnx.Server;

/// <summary>
/// The service's Prometheus metrics, in a registry of its own (not the process-wide default), so
/// two servers in one process (tests, the benchmark) keep separate counts.
/// </summary>
internal sealed class ServerMetrics
{
    public ServerMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("aeonnx_requests_total", "HTTP requests answered, by endpoint and status code.", "endpoint", "status");
        Latency = factory.CreateHistogram("aeonnx_request_duration_seconds", "Time to answer a request, by endpoint.", new HistogramConfiguration
        {
            LabelNames = ["endpoint"],
            Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16),
        });
        BatchSize = factory.CreateHistogram("aeonnx_batch_size", "Rows per ONNX Runtime run made by the dynamic batcher, by operation.", new HistogramConfiguration
        {
            LabelNames = ["operation"],
            Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256],
        });
        QueueDepth = factory.CreateGauge("aeonnx_queue_rows", "Rows waiting for the dynamic batcher.");
        ModelGeneration = factory.CreateGauge("aeonnx_model_generation", "Generation of the served model (0 = the first; +1 per swap).");
        ModelSwaps = factory.CreateCounter("aeonnx_model_swaps_total", "Models swapped in since start.");
        BudgetInUse = factory.CreateGauge("aeonnx_memory_budget_bytes", "Bytes reserved by requests in flight, by budget (body: request bodies held; working: decoding, tensors and answers).", "budget");
        ModelSwapRefusals = factory.CreateCounter("aeonnx_model_swap_refusals_total", "Model folders refused (the previous model kept serving).");
        ModelInfo = factory.CreateGauge("aeonnx_model_info", "The served model (value 1): name, kind, the graphs' SHA-256 and the generation.", "name", "kind", "encoder_sha256", "decoder_sha256", "generation");
        QueueTime = factory.CreateHistogram("aeonnx_queue_seconds", "Time a row waited in the dynamic batcher's queue before its run started, by operation (0 for a row run at once).", new HistogramConfiguration
        {
            LabelNames = ["operation"],
            Buckets = [0, .. Histogram.ExponentialBuckets(0.0001, 2, 16)],
        });
        InferenceTime = factory.CreateHistogram("aeonnx_inference_seconds", "Time of one ONNX Runtime run (a whole batch), by operation.", new HistogramConfiguration
        {
            LabelNames = ["operation"],
            Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16),
        });

        // Process and runtime metrics (CPU seconds, memory, handles, threads, GC collections), then the
        // runtime's own figures read at each scrape: GC heap and pauses, allocation, thread pool.
        DotNetStats.Register(Registry);
        var heap = factory.CreateGauge("dotnet_gc_heap_size_bytes", "GC heap size after the last collection.");
        var fragmented = factory.CreateGauge("dotnet_gc_fragmented_bytes", "GC heap bytes fragmented after the last collection.");
        var paused = factory.CreateGauge("dotnet_gc_pause_seconds_total", "Total time the GC has paused the process.");
        var allocated = factory.CreateGauge("dotnet_gc_allocated_bytes_total", "Bytes allocated since the process started.");
        var poolThreads = factory.CreateGauge("dotnet_thread_pool_threads", "Thread pool threads.");
        var poolQueue = factory.CreateGauge("dotnet_thread_pool_queue_length", "Work items waiting for a thread pool thread.");
        Registry.AddBeforeCollectCallback(() =>
        {
            var info = GC.GetGCMemoryInfo();
            heap.Set(info.HeapSizeBytes);
            fragmented.Set(info.FragmentedBytes);
            paused.Set(GC.GetTotalPauseDuration().TotalSeconds);
            allocated.Set(GC.GetTotalAllocatedBytes());
            poolThreads.Set(ThreadPool.ThreadCount);
            poolQueue.Set(ThreadPool.PendingWorkItemCount);
        });
    }

    public Gauge ModelInfo { get; }

    public Histogram QueueTime { get; }

    public Histogram InferenceTime { get; }

    /// <summary>Marks <paramref name="identity"/> as the served model in <see cref="ModelInfo"/>, the one before unmarked.</summary>
    public void Serve(Hosting.ServedModel identity)
    {
        lock (ModelInfo)
        {
            foreach (var labels in ModelInfo.GetAllLabelValues().ToArray())
            {
                ModelInfo.RemoveLabelled(labels);
            }

            ModelInfo.WithLabels(identity.Name, identity.Kind, identity.EncoderSha256, identity.DecoderSha256, identity.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(1);
        }
    }

    public CollectorRegistry Registry { get; }

    public Counter Requests { get; }

    public Histogram Latency { get; }

    public Histogram BatchSize { get; }

    public Gauge QueueDepth { get; }

    public Gauge ModelGeneration { get; }

    public Counter ModelSwaps { get; }

    public Counter ModelSwapRefusals { get; }

    public Gauge BudgetInUse { get; }
}
