using AeOnnx.Hosting;
using AeOnnx.ML.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML;

/// <summary>
/// Hot swap for ML.NET serving: binds a fitted (or loaded) pipeline's AeOnnx transformers to an
/// <see cref="AutoencoderHost"/>, so a long-running service keeps its pipeline and prediction
/// engines while the host's model changes. Each model call takes a lease on the host's current
/// model: in-flight predictions finish on the old model, new ones use the new one, and the old
/// model is disposed when its last call ends. <see cref="TrySwap(string)"/> loads a retrained
/// folder and checks it against every bound transformer under the binding's policy before it swaps;
/// a refused folder leaves the current model serving and is reported. Thread-safe; no lock is held
/// while a folder loads.
/// </summary>
/// <remarks>
/// Pool prediction engines over <see cref="Pipeline"/> with <see cref="AutoencoderPredictionEnginePool{TData, TPrediction}"/>
/// (or any pool: the engines never need replacing on a swap). The binding does not own the host.
/// </remarks>
public sealed class AutoencoderModelBinding
{
    private readonly AutoencoderTransformer[] _bound;
    private readonly AutoencoderOptions? _loadOptions;
    private readonly ILogger _logger;
    private readonly SwapOrder _order = new();
    private int _swaps;
    private int _refusals;
    private string? _lastRefusal;

    /// <summary>Binds every model-using AeOnnx transformer of <paramref name="fittedPipeline"/> to <paramref name="host"/>.</summary>
    /// <param name="fittedPipeline">A fitted or loaded pipeline (a transformer chain or one <see cref="AutoencoderTransformer"/>).</param>
    /// <param name="host">The host whose current model the bound transformers use; it must already pass the policy.</param>
    /// <param name="policy">How swapped-in models are checked. Default <see cref="AutoencoderModelPolicy.Compatible"/> (a retrained model of the same name, shapes and preprocessing).</param>
    /// <param name="loadOptions">Options <see cref="TrySwap(string)"/> loads folders with (their logger receives swap reports); null: the core's defaults.</param>
    /// <exception cref="ArgumentException">The pipeline has no AeOnnx transformer that uses a model.</exception>
    /// <exception cref="AutoencoderModelMismatchException">The host's current model is refused by the policy.</exception>
    public AutoencoderModelBinding(ITransformer fittedPipeline, AutoencoderHost host, AutoencoderModelPolicy policy = AutoencoderModelPolicy.Compatible, AutoencoderOptions? loadOptions = null)
    {
        ArgumentNullException.ThrowIfNull(fittedPipeline);
        ArgumentNullException.ThrowIfNull(host);
        Host = host;
        Policy = policy;
        _loadOptions = loadOptions;
        _logger = loadOptions?.Logger ?? NullLogger.Instance;
        var source = new ModelSource.Hosted(host);
        var bound = new List<AutoencoderTransformer>();
        Pipeline = Rebind(fittedPipeline, t =>
        {
            var rebound = t.WithSource(source, loadOptions?.Logger, policy);
            bound.Add(rebound);
            return rebound;
        });
        if (bound.Count == 0)
        {
            throw new ArgumentException("The pipeline has no AeOnnx transformer that runs a model; there is nothing to bind.", nameof(fittedPipeline));
        }

        _bound = bound.ToArray();
        Check(host.Current);
    }

    /// <summary>The pipeline whose AeOnnx transformers use the host's current model. Make prediction engines from this one.</summary>
    public ITransformer Pipeline { get; }

    /// <summary>The host.</summary>
    public AutoencoderHost Host { get; }

    /// <summary>The policy swapped-in models are checked with.</summary>
    public AutoencoderModelPolicy Policy { get; }

    /// <summary>Swaps done through this binding.</summary>
    public int Swaps => Volatile.Read(ref _swaps);

    /// <summary>Folders refused so far.</summary>
    public int Refusals => Volatile.Read(ref _refusals);

    /// <summary>Why the last refused folder was refused; null if none was.</summary>
    public string? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>
    /// Loads <paramref name="folder"/>, checks it against every bound transformer, and swaps it in.
    /// On any failure (load error, policy refusal) the current model keeps serving, the reason is
    /// kept in <see cref="LastRefusal"/> and logged, and false is returned. Calls may overlap: none
    /// waits for another's loading, and a call that finishes after a later call has swapped is dropped
    /// (false, not a refusal) rather than swapped over the newer model.
    /// </summary>
    /// <param name="folder">The retrained model folder.</param>
    /// <returns>True when the new model now serves new calls.</returns>
    public bool TrySwap(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var ticket = _order.Begin();
        Autoencoder? model = null;
        try
        {
            model = Autoencoder.Load(folder, _loadOptions);
            Check(model);
            var candidate = model;
            if (!_order.TryComplete(ticket, () => Host.Swap(candidate)))
            {
                return false;
            }

            model = null;
            Interlocked.Increment(ref _swaps);
            _logger.Log(LogLevel.Information, new EventId(1410, "AeOnnx.ML"), $"AeOnnx: swapped in '{folder}' (generation {Host.Generation}).", null, static (m, _) => m);
            return true;
        }
        catch (Exception e) when (e is ModelLoadException or AutoencoderModelMismatchException or IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _refusals);
            var reason = $"AeOnnx: refused '{folder}', the current model keeps serving: {e.Message}";
            Volatile.Write(ref _lastRefusal, reason);
            _logger.Log(LogLevel.Warning, new EventId(1411, "AeOnnx.ML"), reason, null, static (m, _) => m);
            return false;
        }
        finally
        {
            model?.Dispose();
        }
    }

    /// <summary>
    /// Watches <paramref name="folder"/> and calls <see cref="TrySwap(string)"/> on it once a change has
    /// settled: the folder is looked at every <paramref name="quietPeriod"/>, and a change is tried when
    /// two consecutive looks see the same new files (names, sizes, times), so an export still writing
    /// its files is not tried. A folder caught half-written anyway is refused (reported as usual) and
    /// tried again on its next change. The same watcher as the service's <c>--watch</c>.
    /// </summary>
    /// <param name="folder">The model folder a training job exports into.</param>
    /// <param name="quietPeriod">How long a change must stay unchanged before a swap is tried; default 2 s.</param>
    /// <returns>The watch; dispose it to stop watching (disposal waits for a swap already running).</returns>
    /// <exception cref="ArgumentException">The folder does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The quiet period is not positive.</exception>
    public IDisposable WatchFolder(string folder, TimeSpan? quietPeriod = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var quiet = quietPeriod ?? TimeSpan.FromSeconds(2);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(quiet, TimeSpan.Zero, nameof(quietPeriod));
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            throw new ArgumentException($"The folder '{full}' does not exist.", nameof(folder));
        }

        var watch = new ModelWatch(new ModelLocation(full), (_, _) =>
        {
            try
            {
                TrySwap(full);
            }
            catch (ObjectDisposedException)
            {
                // The host was disposed before the watch: nothing left to swap into.
            }

            return Task.CompletedTask;
        });
        return watch.Start(quiet, e => _logger.Log(LogLevel.Warning, new EventId(1412, "AeOnnx.ML"), $"AeOnnx: the watch of '{full}' failed a look: {e.Message}", null, static (m, _) => m));
    }

    private void Check(Autoencoder model)
    {
        foreach (var t in _bound)
        {
            ModelBinding.Check(t.Spec, model, Policy);
        }
    }

    private static ITransformer Rebind(ITransformer transformer, Func<AutoencoderTransformer, AutoencoderTransformer> bind)
    {
        if (transformer is AutoencoderTransformer a)
        {
            return a.Spec.NeedsModel ? bind(a) : a;
        }

        var type = transformer.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(TransformerChain<>))
        {
            var parts = ((IEnumerable<ITransformer>)transformer).ToArray();
            return new TransformerChain<ITransformer>(parts.Select(p => Rebind(p, bind)).ToArray());
        }

        return transformer;
    }
}
