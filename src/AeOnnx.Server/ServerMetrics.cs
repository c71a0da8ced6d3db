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
