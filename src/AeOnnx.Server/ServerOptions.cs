using Microsoft.Extensions.Logging;

namespace AeOnnx.Server;

/// <summary>Settings of an <see cref="AeOnnxServer"/>. Every property has a documented default.</summary>
public sealed class ServerOptions
{
    /// <summary>
    /// The model: a model folder, or a pointer file (a text file whose first line names the folder,
    /// relative to the pointer file's own folder). Required.
    /// </summary>
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>Address to bind: an IP address, <c>localhost</c>, or <c>*</c> for every interface. Default 127.0.0.1 (loopback only).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (read it from <see cref="AeOnnxServer.Url"/>). Default 8080.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>Watch <see cref="ModelPath"/> and swap in a changed model when it loads cleanly. Default false.</summary>
    public bool Watch { get; set; }

    /// <summary>How often the watcher looks at <see cref="ModelPath"/>. Default 1 s.</summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most rows (images or latents) coalesced into one ONNX Runtime run. Default 32; 1 turns batching off.</summary>
    public int MaxBatch { get; set; } = 32;

    /// <summary>Longest a row waits for companions before its batch runs anyway; only while traffic is concurrent (the last run held more than one row), so a lone client never waits. Default 0: greedy batching, as Triton's default: whatever queued while the previous run
    /// was busy goes into the next run, which adds no latency; a delay trades latency for bigger batches.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Batches run through the model at once, 0..<see cref="RunLimits.MaxWorkers"/> (256); 0 (default) sizes them with the model's ONNX
    /// Runtime threads so that runs × intra-op threads = the processor count (one run when the model
    /// uses every core per run). <c>aeonnx serve</c> runs one single-threaded run per <c>--threads</c>.
    /// </summary>
    public int InferenceWorkers { get; set; }

    /// <summary>The run count <see cref="InferenceWorkers"/> resolves to.</summary>
    internal int EffectiveInferenceWorkers =>
        InferenceWorkers > 0 ? InferenceWorkers : AeOnnx.Runtime.RunWorkers.PerCore(ModelOptions.IntraOpThreads);

    /// <summary>Most rows waiting for inference; a request that would exceed it gets 429. Default 4096.</summary>
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>Largest request body in bytes (413 above it). Default 16 MiB.</summary>
    public long MaxBodyBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Most images or latents in one request (422 above it). Default 256.</summary>
    public int MaxItemsPerRequest { get; set; } = 256;

    /// <summary>Most output images one request may ask for (interpolation frames, samples). Default 256.</summary>
    public int MaxOutputImages { get; set; } = 256;

    /// <summary>
    /// Most pixels the images of one request may decode to, summed over its images and read from their
    /// headers before any is decoded (after JPEG draft scaling): 413 above. Bounds a request's decoding
    /// work. Default 100,000,000 (256 photos of 640×480 fit; each image also stays under the core's
    /// <see cref="AeOnnx.Imaging.ImageLimits.MaxPixels"/>).
    /// </summary>
    public long MaxDecodedPixelsPerRequest { get; set; } = 100_000_000;

    /// <summary>
    /// Most pixels one answer may hold: frames × (height × zoom) × (width × zoom), or a whole grid,
    /// summed over the images of the answer; checked before any work: 422 above. Bounds the rendering
    /// and encoding work (a GIF costs most) and the answer's size. Default 16,777,216 (2²⁴).
    /// </summary>
    public long MaxOutputPixelsPerRequest { get; set; } = 1L << 24;

    /// <summary>
    /// Server-wide bytes of request bodies held in memory at once (a JSON body counts 5× its size for
    /// what parsing it builds). A request reserves its body before reading it and keeps the reservation
    /// until it has answered; when the budget is taken it waits (within its time limit). Default 128 MiB.
    /// </summary>
    public long BodyBufferBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>
    /// Server-wide bytes of working memory for requests in flight: decoding (the largest image of a
    /// request at once), tensors and the rendered answer. A request reserves its estimate in one step
    /// before its work starts and keeps it until it has answered; when the budget is taken it waits
    /// (within its time limit); a request needing more than the whole budget is refused (413). Default 384 MiB.
    /// </summary>
    public long WorkingBytes { get; set; } = 384L * 1024 * 1024;

    /// <summary>Time limit of one request; a request over it is answered 503 and its work is cancelled between images and frames. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most API requests handled at once; more are answered 429. Default 512.</summary>
    public int MaxConcurrentRequests { get; set; } = 512;

    /// <summary>
    /// Token the admin endpoint (<c>POST /v1/admin/reload</c>) requires as <c>Authorization: Bearer TOKEN</c>.
    /// Null (default) disables the endpoint. See <see cref="AeOnnxServer.ReadAdminToken"/> for the environment variable and file.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>
    /// Images for the explorer's map (<c>--explore</c>): a folder of image files (labels from first-level
    /// subfolders) or an IDX image file such as Fashion-MNIST's <c>t10k-images-idx3-ubyte.gz</c> (labels
    /// from the labels file beside it). Each model generation encodes them once and caches two 2-D
    /// projections. Null (default): no map of images.
    /// </summary>
    public string? ExplorePath { get; set; }

    /// <summary>Most images of <see cref="ExplorePath"/> taken (the first ones in a fixed order). Default 20,000; at most 100,000.</summary>
    public int ExploreMaxImages { get; set; } = 20_000;

    /// <summary>Options every model (the first and each swapped-in one) is loaded with. Default: the core's defaults.</summary>
    public AutoencoderOptions ModelOptions { get; set; } = new();

    /// <summary>Test seam: called after each image a request decoded and each image of an answer it rendered, with the request's token (events, not timing, show that a timed-out request stops).</summary>
    internal Action<string, int, CancellationToken>? WorkObserver { get; set; }

    /// <summary>Least severe log level written to the console. Default Information.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Information;

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            throw new ArgumentException("ServerOptions.ModelPath is required.");
        }

        Check(Port is >= 0 and <= 65535, $"Port must be 0..65535, got {Port}.");
        Check(MaxBatch >= 1, $"MaxBatch must be at least 1, got {MaxBatch}.");
        Check(MaxDelay >= TimeSpan.Zero, $"MaxDelay must not be negative, got {MaxDelay}.");
        Check(QueueCapacity >= 1, $"QueueCapacity must be at least 1, got {QueueCapacity}.");
        Check(InferenceWorkers >= 0 && InferenceWorkers <= RunLimits.MaxWorkers, $"InferenceWorkers must be 0..{RunLimits.MaxWorkers}, got {InferenceWorkers}.");
        Check(MaxBodyBytes >= 1024, $"MaxBodyBytes must be at least 1024, got {MaxBodyBytes}.");
        Check(MaxItemsPerRequest >= 1, $"MaxItemsPerRequest must be at least 1, got {MaxItemsPerRequest}.");
        Check(MaxOutputImages >= 2, $"MaxOutputImages must be at least 2, got {MaxOutputImages}.");
        Check(RequestTimeout > TimeSpan.Zero, $"RequestTimeout must be positive, got {RequestTimeout}.");
        Check(MaxDecodedPixelsPerRequest >= 1, $"MaxDecodedPixelsPerRequest must be at least 1, got {MaxDecodedPixelsPerRequest}.");
        Check(MaxOutputPixelsPerRequest >= 1, $"MaxOutputPixelsPerRequest must be at least 1, got {MaxOutputPixelsPerRequest}.");
        Check(BodyBufferBytes >= MaxBodyBytes, $"BodyBufferBytes ({BodyBufferBytes}) must hold at least one body of MaxBodyBytes ({MaxBodyBytes}).");
        Check(WorkingBytes >= 1024 * 1024, $"WorkingBytes must be at least 1 MiB, got {WorkingBytes}.");
        Check(MaxConcurrentRequests >= 1, $"MaxConcurrentRequests must be at least 1, got {MaxConcurrentRequests}.");
        Check(WatchInterval > TimeSpan.Zero, $"WatchInterval must be positive, got {WatchInterval}.");
        Check(ExploreMaxImages is >= 1 and <= 100_000, $"ExploreMaxImages must be 1..100000, got {ExploreMaxImages}.");
        Check(AdminToken is null || AdminToken.Length >= 16, "AdminToken must be at least 16 characters.");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
