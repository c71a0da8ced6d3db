using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// The served model: an <see cref="AutoencoderHost"/> plus what the service reports about it
/// (identity, generation, swap count, last refusal). Requests take a lease for their whole life, so
/// a swap never changes the model under a request; reloads are serialized.
/// </summary>
internal sealed class ModelService : IDisposable
{
    private readonly AutoencoderHost _host;
    private readonly AutoencoderOptions _options;
    private readonly ILogger _logger;
    private readonly ServerMetrics _metrics;
    private readonly Lock _reloadLock = new();
    private readonly ConditionalWeakTable<Autoencoder, ServedModel> _identities = new();
    private string _fingerprint;
    private string? _pending;
    private int _swaps;
    private SwapRefusal? _lastRefusal;

    public ModelService(ModelSource source, AutoencoderOptions options, ServerMetrics metrics, ILogger logger)
    {
        Source = source;
        _options = options;
        _logger = logger;
        _metrics = metrics;
        _fingerprint = source.Fingerprint();
        var folder = source.ResolveFolder();

        // The first model must load: a service that starts without one would only answer 503.
        var model = Autoencoder.Load(folder, options);
        _identities.Add(model, Identify(model, 0));
        _host = new AutoencoderHost(model, options);
        _metrics.ModelGeneration.Set(0);
        _logger.LogInformation("serving model {Name} ({Kind}, latent {Dim}) from {Folder} on {Provider}", model.Name, model.Manifest.Kind, model.LatentDim, folder, model.ExecutionProvider);
    }

    public ModelSource Source { get; }

    public int Swaps => Volatile.Read(ref _swaps);

    public SwapRefusal? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>Takes a lease on the current model; the request keeps it until it has answered.</summary>
    public AutoencoderLease Acquire() => _host.Acquire();

    public ServedModel IdentityOf(Autoencoder model) =>
        _identities.TryGetValue(model, out var identity) ? identity : Identify(model, -1);

    public ServedModel Current
    {
        get
        {
            using var lease = _host.Acquire();
            return IdentityOf(lease.Model);
        }
    }

    /// <summary>
    /// The watcher's tick: reloads when the source changed and has settled, that is, when two
    /// consecutive looks see the same new state. A pointer file caught half-written (truncated, then
    /// written: <c>echo dir &gt; current.txt</c>) or a folder still being copied is not tried, so it
    /// never produces a refusal of a name nobody meant.
    /// </summary>
    /// <returns>True when a reload was tried on this tick.</returns>
    public bool ReloadIfChanged()
    {
        var fingerprint = Source.Fingerprint();
        if (fingerprint == Volatile.Read(ref _fingerprint))
        {
            _pending = null;
            return false;
        }

        if (fingerprint != _pending)
        {
            _pending = fingerprint;
            return false;
        }

        _pending = null;
        Reload(fingerprint, "watch");
        return true;
    }

    /// <summary>Loads what the source names now and swaps it in; on refusal the current model stays.</summary>
    /// <returns>The new identity, or null with <see cref="LastRefusal"/> set.</returns>
    public ServedModel? Reload(string? fingerprint, string trigger)
    {
        // The source is read (a pointer file, the folder's listing) before the lock is taken.
        fingerprint ??= Source.Fingerprint();
        lock (_reloadLock)
        {
            Volatile.Write(ref _fingerprint, fingerprint);
            // Until the source resolves, a refusal names the source itself (the pointer file).
            var folder = Source.Path;
            var folderName = System.IO.Path.GetFileName(folder);
            Autoencoder? model = null;
            try
            {
                folder = Source.ResolveFolder();
                folderName = System.IO.Path.GetFileName(folder);
                model = Autoencoder.Load(folder, _options);
                var identity = Identify(model, _host.Generation + 1);

                // Record the identity before the swap: the first lease on the new model must find it.
                _identities.Add(model, identity);
                _host.Swap(model);
                Interlocked.Increment(ref _swaps);
                _metrics.ModelSwaps.Inc();
                _metrics.ModelGeneration.Set(identity.Generation);
                _logger.LogInformation("model swapped ({Trigger}): now {Name} generation {Generation} from {Folder}", trigger, identity.Name, identity.Generation, folderName);
                return identity;
            }
            catch (Exception e) when (e is ModelLoadException or DeviceUnavailableException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                model?.Dispose();

                // /v1/model is public: report the folder by name, not the server's directory layout.
                var reason = e.Message.Replace(folder, folderName, StringComparison.Ordinal).Replace(Source.Path, System.IO.Path.GetFileName(Source.Path), StringComparison.Ordinal);
                var refusal = new SwapRefusal(folderName, reason, DateTimeOffset.UtcNow);
                Volatile.Write(ref _lastRefusal, refusal);
                _metrics.ModelSwapRefusals.Inc();
                _logger.LogWarning("model folder {Folder} refused ({Trigger}); still serving the previous model: {Reason}", folder, trigger, e.Message);
                return null;
            }
        }
    }

    public void Dispose() => _host.Dispose();

    private static ServedModel Identify(Autoencoder model, int generation) => new(
        model.Name,
        model.IsVariational ? "vae" : "ae",
        model.Model.Encoder.Sha256,
        model.Model.Decoder.Sha256,
        generation,
        System.IO.Path.GetFileName(model.Folder),
        DateTimeOffset.UtcNow);
}
