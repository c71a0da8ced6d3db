using System.Collections.Concurrent;
using AeOnnx.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AeOnnx.ML.Extensions;

/// <summary>
/// The named models of <see cref="AeOnnxOptions.Models"/>, each an <see cref="AutoencoderHost"/>
/// loaded with the configured settings and logging through the application's <c>ILoggerFactory</c>
/// (category <c>AeOnnx.Models.&lt;name&gt;</c>). Registered as a singleton by <c>AddAeOnnx</c>; inject it
/// and call <c>models.Get("fashion").Run(m =&gt; m.Encode(path))</c>. Under a running host every model is
/// loaded at start (so a missing model stops the start, not the first request), and models with
/// <see cref="AeOnnxModelOptions.WatchForChanges"/> are swapped when their folder or pointer changes
/// and settles (the core's model watch, as the service's <c>--watch</c>): a retrained model of the same
/// input shape and latent size replaces the current one, in-flight calls finish on the old one; any other
/// folder is refused, logged as a warning, and the current model keeps serving. Disposed by the container.
/// </summary>
public sealed class AeOnnxModels : IDisposable, IModelWatchSource
{
    private readonly AeOnnxOptions _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ConcurrentDictionary<string, Lazy<AutoencoderHost>> _hosts = new(StringComparer.Ordinal);
    private int _swaps;
    private int _refusals;

    /// <summary>Creates the registry (the container does, from <c>IOptions&lt;AeOnnxOptions&gt;</c> and the logger factory).</summary>
    /// <param name="options">The bound settings.</param>
    /// <param name="loggerFactory">Where models log; null: nowhere.</param>
    public AeOnnxModels(IOptions<AeOnnxOptions> options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The configured model names.</summary>
    public IReadOnlyCollection<string> Names => _options.Models.Keys.ToArray();

    /// <summary>Swaps done by watches so far.</summary>
    public int Swaps => Volatile.Read(ref _swaps);

    /// <summary>Changes refused by watches so far.</summary>
    public int Refusals => Volatile.Read(ref _refusals);

    /// <summary>Raised after a watch has tried a change of a model (swapped or refused), on the watch's thread.</summary>
    public event EventHandler<ModelReloadedEventArgs>? ModelReloaded;

    /// <summary>The host of a configured model, loaded on first use.</summary>
    /// <param name="name">A key of <see cref="AeOnnxOptions.Models"/>.</param>
    /// <returns>The host; take leases on it (<see cref="AutoencoderHost.Run{T}"/>), do not dispose it.</returns>
    /// <exception cref="ArgumentException">No model of that name is configured (the message lists the names there are).</exception>
    /// <exception cref="ModelLoadException">The model cannot be loaded.</exception>
    public AutoencoderHost Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_options.Models.TryGetValue(name, out var model))
        {
            var names = _options.Models.Count == 0 ? "none are configured" : "configured: " + string.Join(", ", _options.Models.Keys.Order(StringComparer.Ordinal));
            throw new ArgumentException($"No AeOnnx model named '{name}' ({names} under AeOnnx:Models).", nameof(name));
        }

        var lazy = _hosts.GetOrAdd(name, n => new Lazy<AutoencoderHost>(() => Load(n, model), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _hosts.TryRemove(new KeyValuePair<string, Lazy<AutoencoderHost>>(name, lazy));
            throw;
        }
    }

    /// <inheritdoc/>
    void IModelWatchSource.Load()
    {
        foreach (var name in _options.Models.Keys)
        {
            Get(name);
        }
    }

    /// <inheritdoc/>
    IEnumerable<IDisposable> IModelWatchSource.StartWatches()
    {
        foreach (var (name, model) in _options.Models.Where(m => m.Value.WatchForChanges))
        {
            var host = Get(name);
            var location = new ModelLocation(model.Path);
            var logger = Logger(name);
            var watch = new ModelWatch(location, (_, _) =>
            {
                Swap(name, host, location, logger);
                return Task.CompletedTask;
            });
            yield return watch.Start(_options.WatchInterval, e => logger.LogWarning("AeOnnx: the watch of '{Path}' failed a look: {Message}", location.Path, e.Message));
        }
    }

    /// <summary>Disposes every loaded host (after its leases end).</summary>
    public void Dispose()
    {
        foreach (var lazy in _hosts.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Dispose();
            }
        }

        _hosts.Clear();
    }

    private AutoencoderHost Load(string name, AeOnnxModelOptions model)
    {
        var folder = new ModelLocation(model.Path).ResolveFolder();
        return AutoencoderHost.Load(folder, _options.ToAutoencoderOptions(Logger(name)));
    }

    private ILogger Logger(string name) =>
        _loggerFactory?.CreateLogger("AeOnnx.Models." + name) ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    private void Swap(string name, AutoencoderHost host, ModelLocation location, ILogger logger)
    {
        Autoencoder? candidate = null;
        try
        {
            var folder = location.ResolveFolder();
            candidate = Autoencoder.Load(folder, _options.ToAutoencoderOptions(logger));
            var current = host.Current;
            if (candidate.Channels != current.Channels || candidate.Height != current.Height || candidate.Width != current.Width || candidate.LatentDim != current.LatentDim)
            {
                throw new AutoencoderModelMismatchException(
                    $"'{folder}' holds a {candidate.Channels}x{candidate.Height}x{candidate.Width} model with latent size {candidate.LatentDim}; " +
                    $"model '{name}' serves {current.Channels}x{current.Height}x{current.Width} with latent size {current.LatentDim}.");
            }

            host.Swap(candidate);
            candidate = null;
            Interlocked.Increment(ref _swaps);
            logger.LogInformation("AeOnnx: model '{Name}' swapped to '{Folder}' (generation {Generation}).", name, folder, host.Generation);
            ModelReloaded?.Invoke(this, new ModelReloadedEventArgs(name, null));
        }
        catch (Exception e) when (e is ModelLoadException or AutoencoderModelMismatchException or IOException or UnauthorizedAccessException or DeviceUnavailableException)
        {
            Interlocked.Increment(ref _refusals);
            logger.LogWarning("AeOnnx: refused the change of model '{Name}' at '{Path}', the current model keeps serving: {Message}", name, location.Path, e.Message);
            ModelReloaded?.Invoke(this, new ModelReloadedEventArgs(name, e.Message));
        }
        finally
        {
            candidate?.Dispose();
        }
    }
}
