using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using AeOnnx.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// The served model: an <see cref="AutoencoderHost"/> plus what the service reports about it
/// (identity, generation, swap count, last refusal, readiness). Requests take a lease for their whole
/// life, so a swap never changes the model under a request. A model is served only after it has
/// answered one real request through the whole HTTP path (<see cref="Probe"/>): at start (until then
/// the service is not ready) and before every swap. No lock is held while anything is read or loaded.
/// </summary>
internal sealed class ModelService : IDisposable
{
    /// <summary>Request header that routes a probe request to the candidate model it names.</summary>
    public const string ProbeHeader = "X-AeOnnx-Probe";

    private readonly AutoencoderHost _host;
    private readonly AutoencoderOptions _options;
    private readonly ILogger _logger;
    private readonly ServerMetrics _metrics;
    private readonly SwapOrder _order = new();
    private readonly ModelWatch _watch;
    private readonly ConditionalWeakTable<Autoencoder, ServedModel> _identities = new();
    private readonly ConcurrentDictionary<string, (Autoencoder Model, ServedModel Identity)> _candidates = new(StringComparer.Ordinal);

    // Random per process: only this server's own probe client knows it, so no request from outside can
    // reach a candidate model.
    private readonly byte[] _probeSecret = RandomNumberGenerator.GetBytes(32);
    private int _swaps;
    private int _ready;
    private SwapRefusal? _lastRefusal;

    public ModelService(ModelLocation source, AutoencoderOptions options, ServerMetrics metrics, ILogger logger)
    {
        Source = source;
        _options = options;
        _logger = logger;
        _metrics = metrics;
        _watch = new ModelWatch(source, (fingerprint, cancellationToken) => ReloadAsync(fingerprint, "watch", cancellationToken));
        var folder = source.ResolveFolder();

        // The first model must load: a service that starts without one would only answer 503.
        var model = Autoencoder.Load(folder, options);
        _identities.Add(model, Identify(model, 0));
        _host = new AutoencoderHost(model, options);
        _metrics.ModelGeneration.Set(0);
        _metrics.Serve(IdentityOf(model));
        _logger.LogInformation("loaded model {Name} ({Kind}, latent {Dim}) from {Folder} on {Provider}", model.Name, model.IsVariational ? "vae" : "ae", model.LatentDim, folder, model.ExecutionProvider);
    }

    public ModelLocation Source { get; }

    /// <summary>The watch over <see cref="Source"/> (<c>--watch</c> runs it; its reloads are <see cref="ReloadAsync"/>).</summary>
    public ModelWatch Watch => _watch;

    public int Swaps => Volatile.Read(ref _swaps);

    public SwapRefusal? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>True once the current model has answered its probe request: the service can serve.</summary>
    public bool IsReady => Volatile.Read(ref _ready) == 1;

    /// <summary>
    /// Sends one real request for a candidate model through the running server (set by the server once
    /// it listens); throws <see cref="ModelLoadException"/> with the reason when the answer is not a
    /// good one. Null: no probe (a service used without its HTTP front, in tests of the swap rules).
    /// </summary>
    public Func<Autoencoder, ServedModel, string, CancellationToken, Task>? Probe { get; set; }

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

    /// <summary>The header value that routes a request to the candidate registered under <paramref name="key"/>.</summary>
    public string ProbeHeaderValue(string key) => Convert.ToHexStringLower(_probeSecret) + ":" + key;

    /// <summary>True when the request carries this server's probe secret (constant-time compare).</summary>
    public bool IsProbe(HttpContext context) => ProbeKey(context) is not null;

    /// <summary>The candidate a probe request is for, or false for every other request.</summary>
    public bool TryGetCandidate(HttpContext context, out Autoencoder model, out ServedModel identity)
    {
        if (ProbeKey(context) is { } key && _candidates.TryGetValue(key, out var candidate))
        {
            (model, identity) = candidate;
            return true;
        }

        model = null!;
        identity = null!;
        return false;
    }

    /// <summary>Probes the first model through the running server; the service is ready only after it answered.</summary>
    /// <exception cref="ModelLoadException">The model loaded but cannot answer a request.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using (var lease = _host.Acquire())
        {
            await ProbeAsync(lease.Model, IdentityOf(lease.Model), cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("serving model {Name}: it answered its probe request", lease.Model.Name);
        }

        Volatile.Write(ref _ready, 1);
    }

    /// <summary>
    /// The watcher's tick (<see cref="ModelWatch.PollAsync"/>): reloads when the source changed and has
    /// settled, that is, when two consecutive looks see the same new state.
    /// </summary>
    /// <returns>True when a reload was tried on this tick.</returns>
    public Task<bool> ReloadIfChangedAsync(CancellationToken cancellationToken) => _watch.PollAsync(cancellationToken);

    /// <summary>
    /// Loads what the source names now, probes it through the HTTP path, and swaps it in; on refusal the
    /// current model stays. Reloads may overlap (the admin endpoint during a watch tick): none waits for
    /// another, and a reload that finishes after a later one has swapped is dropped, never swapped over it.
    /// </summary>
    /// <returns>The outcome: the new identity, or a refusal (also in <see cref="LastRefusal"/>), or superseded.</returns>
    public async Task<ReloadOutcome> ReloadAsync(string? fingerprint, string trigger, CancellationToken cancellationToken)
    {
        var ticket = _order.Begin();

        // The source is read (a pointer file, the folder's listing) without any lock held.
        fingerprint ??= Source.Fingerprint();
        _watch.Accept(fingerprint);

        // Until the source resolves, a refusal names the source itself (the pointer file).
        var folder = Source.Path;
        var folderName = System.IO.Path.GetFileName(folder);
        Autoencoder? model = null;
        try
        {
            folder = Source.ResolveFolder();
            folderName = System.IO.Path.GetFileName(folder);
            model = Autoencoder.Load(folder, _options);
            var tentative = Identify(model, _host.Generation + 1);

            // The same folder with the same graphs and manifest is the model already served: nothing to swap.
            var current = Current;
            if (tentative.Content == current.Content && string.Equals(Path.GetFullPath(model.Folder), current.FullFolder, StringComparison.Ordinal))
            {
                model.Dispose();
                _logger.LogInformation("reload ({Trigger}): {Folder} is unchanged; still serving generation {Generation}", trigger, folderName, current.Generation);
                return ReloadOutcome.Unchanged(current);
            }

            await ProbeAsync(model, tentative, cancellationToken).ConfigureAwait(false);

            var candidate = model;
            var identity = tentative;
            var swapped = _order.TryComplete(ticket, () =>
            {
                // Record the identity before the swap: the first lease on the new model must find it.
                identity = tentative with { Generation = _host.Generation + 1 };
                _identities.AddOrUpdate(candidate, identity);
                _host.Swap(candidate);
            });
            if (!swapped)
            {
                model.Dispose();
                return ReloadOutcome.Superseded;
            }

            Interlocked.Increment(ref _swaps);
            _metrics.ModelSwaps.Inc();
            _metrics.ModelGeneration.Set(identity.Generation);
            _metrics.Serve(identity);
            _logger.LogInformation("model swapped ({Trigger}): now {Name} generation {Generation} from {Folder}", trigger, identity.Name, identity.Generation, folderName);
            return ReloadOutcome.Swapped(identity);
        }
        catch (Exception e) when (FailureTable.IsLoadRefusal(e))
        {
            model?.Dispose();

            // /v1/model is public: report the folder by name, not the server's directory layout.
            var reason = e.Message.Replace(folder, folderName, StringComparison.Ordinal).Replace(Source.Path, System.IO.Path.GetFileName(Source.Path), StringComparison.Ordinal);
            var refusal = new SwapRefusal(folderName, reason, DateTimeOffset.UtcNow);
            Volatile.Write(ref _lastRefusal, refusal);
            _metrics.ModelSwapRefusals.Inc();
            _logger.LogWarning("model folder {Folder} refused ({Trigger}); still serving the previous model: {Reason}", folder, trigger, e.Message);
            return ReloadOutcome.Refused(refusal);
        }
        catch
        {
            model?.Dispose();
            throw;
        }
    }

    public void Dispose() => _host.Dispose();

    private async Task ProbeAsync(Autoencoder model, ServedModel identity, CancellationToken cancellationToken)
    {
        if (Probe is not { } probe)
        {
            return;
        }

        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _candidates[key] = (model, identity);
        try
        {
            await probe(model, identity, ProbeHeaderValue(key), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _candidates.TryRemove(key, out _);
        }
    }

    private string? ProbeKey(HttpContext context)
    {
        if (!context.Request.Headers.TryGetValue(ProbeHeader, out var values) || values.Count != 1 || values[0] is not { } value)
        {
            return null;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return null;
        }

        var given = Encoding.ASCII.GetBytes(value[..colon]);
        var expected = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(_probeSecret));
        return CryptographicOperations.FixedTimeEquals(given, expected) ? value[(colon + 1)..] : null;
    }

    private static ServedModel Identify(Autoencoder model, int generation) => new(
        model.Name,
        model.IsVariational ? "vae" : "ae",
        model.Manifest.Encoder.Sha256,
        model.Manifest.Decoder.Sha256,
        generation,
        System.IO.Path.GetFileName(model.Folder),
        DateTimeOffset.UtcNow)
    {
        FullFolder = System.IO.Path.GetFullPath(model.Folder),
        Content = model.Manifest.GraphIdentity + "+" + ManifestHash(model.Folder),
    };

    /// <summary>
    /// SHA-256 of the folder's manifest.json as it is now (read after the model loaded: a manifest changed in
    /// between reads as a change, so a reload never takes a changed folder for the served one). Empty for a
    /// bare graph pair.
    /// </summary>
    private static string ManifestHash(string folder)
    {
        var path = System.IO.Path.Combine(folder, Models.ModelManifest.FileName);
        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(AeOnnx.IO.RegularFile.ReadAllBytes(path, Models.ModelLimits.MaxManifestBytes)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AeOnnx.IO.RegularFileException)
        {
            return string.Empty;
        }
    }
}
