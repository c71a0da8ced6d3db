using AeOnnx.Hosting;
using AeOnnx.ML.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML;

/// <summary>
/// Hot swap for ML.NET serving: binds a fitted (or loaded) pipeline's AeOnnx transformers to an
/// <see cref="AutoencoderHost"/>, so a long-running service keeps its pipeline and prediction
/// engines while the host's model changes. <b>One prediction, one model:</b> every column of a
/// prediction made through <see cref="Pipeline"/> is computed by one model generation (the one current
/// when the prediction started), and every row of a pass over an <see cref="IDataView"/> by the one
/// current when its cursor was made; in-flight predictions finish on the old model, new ones use the
/// new one, and the old model is disposed when its last prediction ends. <see cref="TrySwap(string)"/>
/// loads a retrained folder with the host's options and checks it against every bound transformer
/// under the binding's policy before it swaps; a refused folder leaves the current model serving and
/// is reported (<see cref="LastRefusal"/>, and a warning to the host's logger). Thread-safe; no lock is
/// held while a folder loads.
/// </summary>
/// <remarks>
/// <para><b>A retrained encoder has another latent basis.</b> When stages that are not AeOnnx transforms
/// come after an Encode (a trainer or a normalizer fitted on the latents), a folder whose encoder differs
/// from the one the pipeline was fitted with is refused: those stages would read coordinates they were
/// never fitted on. Refit them on the new model's latents and swap the model and the refit pipeline
/// together with <see cref="TrySwap(string, ITransformer)"/>; or, if they do not depend on the basis,
/// set <see cref="AllowLatentBasisChange"/> (each such swap is logged as a warning).</para>
/// <para>Pool prediction engines over <see cref="Pipeline"/> with <see cref="AutoencoderPredictionEnginePool{TData, TPrediction}"/>
/// (or any pool: the engines never need replacing on a swap, also not when a refit pipeline came with
/// the model; a raw engine keeps the model of its last prediction alive until its next one, the pool
/// lets it go after each prediction). The binding does not own the host.</para>
/// </remarks>
public sealed class AutoencoderModelBinding
{
    private readonly AutoencoderOptions _loadOptions;
    private readonly ILogger _logger;
    private readonly ModelSource.Hosted _source;
    private readonly SwapOrder _order = new();
    private readonly Lock _generationLock = new();
    private BindingState _state;
    private int _swaps;
    private int _refusals;
    private string? _lastRefusal;

    /// <summary>Binds every model-using AeOnnx transformer of <paramref name="fittedPipeline"/> to <paramref name="host"/>.</summary>
    /// <param name="fittedPipeline">A fitted or loaded pipeline (a transformer chain or one <see cref="AutoencoderTransformer"/>).</param>
    /// <param name="host">The host whose current model the bound transformers use; it must already pass the policy.</param>
    /// <param name="policy">How swapped-in models are checked. Default <see cref="AutoencoderModelPolicy.Compatible"/> (a retrained model of the same name, shapes and preprocessing).</param>
    /// <param name="loadOptions">Options <see cref="TrySwap(string)"/> loads folders with (their logger receives swap reports); null: the host's own (those it swaps with, else those its model was loaded with), so a swapped-in model runs as the first did.</param>
    /// <exception cref="ArgumentException">The pipeline has no AeOnnx transformer that uses a model.</exception>
    /// <exception cref="AutoencoderModelMismatchException">The host's current model is refused by the policy.</exception>
    public AutoencoderModelBinding(ITransformer fittedPipeline, AutoencoderHost host, AutoencoderModelPolicy policy = AutoencoderModelPolicy.Compatible, AutoencoderOptions? loadOptions = null)
    {
        ArgumentNullException.ThrowIfNull(fittedPipeline);
        ArgumentNullException.ThrowIfNull(host);
        Host = host;
        Policy = policy;
        _loadOptions = loadOptions ?? host.SwapOptions;
        _logger = _loadOptions.Logger;
        _source = new ModelSource.Hosted(host);
        _state = Bind(fittedPipeline, 0, nameof(fittedPipeline));
        Pipeline = new BoundPipeline(_source, TakeGeneration, () => Volatile.Read(ref _state));
        Check(_state, host.Current);
    }

    /// <summary>
    /// The pipeline whose AeOnnx transformers use the host's current model, one model generation per
    /// prediction and per cursor. Make prediction engines from this one; they stay valid across swaps.
    /// </summary>
    public ITransformer Pipeline { get; }

    /// <summary>The host.</summary>
    public AutoencoderHost Host { get; }

    /// <summary>The policy swapped-in models are checked with.</summary>
    public AutoencoderModelPolicy Policy { get; }

    /// <summary>
    /// Says that the stages after the pipeline's Encode do not depend on the encoder's latent basis (or
    /// were refit some other way): <see cref="TrySwap(string)"/> then takes a folder with another encoder,
    /// and logs each such swap as a warning. Default false: such a folder is refused. Set it before
    /// making prediction engines or swapping.
    /// </summary>
    public bool AllowLatentBasisChange
    {
        get => Volatile.Read(ref _state).Bound.Any(t => t.Spec.AllowLatentBasisChange);
        set
        {
            // In memory only (no I/O): a swap reads the state it serves with under the same lock.
            lock (_generationLock)
            {
                var state = Volatile.Read(ref _state);
                Volatile.Write(ref _state, Bind(state.Pipeline, state.Version, nameof(value), value));
            }
        }
    }

    /// <summary>Swaps done through this binding.</summary>
    public int Swaps => Volatile.Read(ref _swaps);

    /// <summary>Folders refused so far.</summary>
    public int Refusals => Volatile.Read(ref _refusals);

    /// <summary>Why the last refused folder was refused; null if none was.</summary>
    public string? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>
    /// Loads <paramref name="folder"/> (with the binding's, else the host's options), checks it against
    /// every bound transformer, and swaps it in. On any failure (load error, policy refusal, another
    /// latent basis under stages fitted on the current one) the current model keeps serving, the reason
    /// is kept in <see cref="LastRefusal"/> and logged as a warning, and false is returned. Calls may
    /// overlap: none waits for another's loading, and a call that finishes after a later call has swapped
    /// is dropped (false, not a refusal) rather than swapped over the newer model.
    /// </summary>
    /// <param name="folder">The retrained model folder.</param>
    /// <returns>True when the new model now serves new predictions.</returns>
    public bool TrySwap(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        return Swap(folder, null);
    }

    /// <summary>
    /// The retrain-then-swap pattern for a pipeline whose later stages were fitted on the latents:
    /// loads <paramref name="folder"/>, binds <paramref name="refitPipeline"/> (the same pipeline fitted
    /// again on the new model's latents, giving the same columns) to the host, checks the model against
    /// it, and swaps model and pipeline together: every prediction that starts afterwards runs the new
    /// pipeline on the new model, every one in flight finishes on the old pair.
    /// </summary>
    /// <param name="folder">The retrained model folder.</param>
    /// <param name="refitPipeline">The pipeline fitted on <paramref name="folder"/>'s model.</param>
    /// <returns>True when the new model and pipeline now serve new predictions.</returns>
    public bool TrySwap(string folder, ITransformer refitPipeline)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(refitPipeline);
        return Swap(folder, refitPipeline);
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
        return watch.Start(quiet, e => _logger.Log(LogLevel.Warning, new EventId(1413, "AeOnnx.ML"), $"AeOnnx: the watch of '{full}' failed a look: {e.Message}", null, static (m, _) => m));
    }

    private bool Swap(string folder, ITransformer? refitPipeline)
    {
        var ticket = _order.Begin();
        Autoencoder? model = null;
        try
        {
            // No lock while the folder loads (the user's files: a slow mount, a FIFO); only the swap runs under the order's lock.
            model = Autoencoder.Load(folder, _loadOptions);
            var refit = refitPipeline is null ? null : Bind(refitPipeline, 0, nameof(refitPipeline), AllowLatentBasisChange);
            var candidate = model;
            List<string> warnings = [];
            var swapped = _order.TryComplete(ticket, () =>
            {
                // The pipeline may have changed while the folder loaded: the model is checked (in memory)
                // against the one it will serve with, and model and pipeline change together, so a
                // prediction pins both or neither.
                lock (_generationLock)
                {
                    var current = Volatile.Read(ref _state);
                    var state = refit is null ? current : new BindingState(current.Version + 1, refit.Pipeline, refit.Bound);
                    warnings = Check(state, candidate);
                    Host.Swap(candidate);
                    Volatile.Write(ref _state, state);
                }
            });
            if (!swapped)
            {
                return false;
            }

            model = null;
            foreach (var warning in warnings)
            {
                _logger.Log(LogLevel.Warning, new EventId(1412, "AeOnnx.ML"), warning, null, static (m, _) => m);
            }

            Interlocked.Increment(ref _swaps);
            var what = refitPipeline is null ? string.Empty : " with its refit pipeline";
            _logger.Log(LogLevel.Information, new EventId(1410, "AeOnnx.ML"), $"AeOnnx: swapped in '{folder}'{what} (generation {Host.Generation}).", null, static (m, _) => m);
            return true;
        }
        catch (Exception e) when (e is ModelLoadException or AutoencoderModelMismatchException or IOException or UnauthorizedAccessException or DeviceUnavailableException)
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

    /// <summary>The current model and pipeline, taken together (a swap changes both under the same lock).</summary>
    private PinnedGeneration TakeGeneration()
    {
        lock (_generationLock)
        {
            return new PinnedGeneration(Host.Acquire(), Volatile.Read(ref _state));
        }
    }

    /// <summary>Checks a model against every bound transformer of a pipeline; returns the warnings to log.</summary>
    private List<string> Check(BindingState state, Autoencoder model)
    {
        var warnings = new List<string>();
        foreach (var t in state.Bound)
        {
            if (ModelBinding.Check(t.Spec, model, Policy) is { Level: LogLevel.Warning } change)
            {
                warnings.Add(change.Message);
            }
        }

        return warnings;
    }

    /// <summary>Rebinds every model-using AeOnnx transformer of <paramref name="pipeline"/> to the host, marking the latent columns later stages read.</summary>
    private BindingState Bind(ITransformer pipeline, long version, string parameter, bool allowBasisChange = false)
    {
        var feeding = LatentConsumers.Find(pipeline);
        var bound = new List<AutoencoderTransformer>();
        var rebound = Rebind(pipeline, t =>
        {
            var b = t.WithSource(_source, _logger, spec => spec with
            {
                Policy = Policy,
                FeedsTrainedStages = feeding.Contains(t),
                AllowLatentBasisChange = allowBasisChange,
            });
            bound.Add(b);
            return b;
        });
        if (bound.Count == 0)
        {
            throw new ArgumentException("The pipeline has no AeOnnx transformer that runs a model; there is nothing to bind.", parameter);
        }

        return new BindingState(version, rebound, bound.ToArray());
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
