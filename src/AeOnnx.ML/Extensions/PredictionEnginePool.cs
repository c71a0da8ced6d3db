using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AeOnnx.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML;

namespace AeOnnx.ML.Extensions;

/// <summary>
/// Named ML.NET pipelines with AeOnnx stages, served through pooled prediction engines, registered and
/// called as <c>Microsoft.Extensions.ML</c>'s <c>PredictionEnginePool</c> is:
/// <c>services.AddPredictionEnginePool&lt;TData, TPrediction&gt;().FromFile(modelName, path, watchForChanges)</c>,
/// then <c>pool.Predict(modelName, example)</c>. Each model is a zip written by
/// <see cref="AeOnnxCatalog.SaveWithAeOnnx(MLContext, ITransformer, Microsoft.ML.DataViewSchema, string, AeOnnxSaveOptions?)"/>,
/// loaded with <see cref="AeOnnxCatalog.LoadWithAeOnnx"/> (batched AeOnnx transformers, models checked
/// before the first prediction) and the application's <see cref="AeOnnxOptions"/> and logger factory.
/// Thread-safe: every caller gets its own engine.
/// </summary>
/// <remarks>
/// With <c>watchForChanges</c>, a running host reloads the zip once it has changed and settled (two
/// consecutive looks agree; write it to a temporary name and rename it over the old one): predictions
/// that start afterwards use the new pipeline, those in flight finish on the old one. A zip that fails
/// to load leaves the current pipeline serving and is logged as a warning (<see cref="ModelReloaded"/>
/// says which). Save each retrained model into a folder of its own (or embed it): models are shared
/// per folder in the process (<see cref="AeOnnxModelCache"/>), so a folder rewritten in place under the
/// same path is not read again until the cache is cleared.
/// </remarks>
/// <typeparam name="TData">The input row type.</typeparam>
/// <typeparam name="TPrediction">The output row type.</typeparam>
public sealed class PredictionEnginePool<TData, TPrediction> : IModelWatchSource
    where TData : class
    where TPrediction : class, new()
{
    private readonly IReadOnlyDictionary<string, PoolModel> _models;
    private readonly AeOnnxOptions _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ConcurrentDictionary<string, Lazy<Loaded>> _loaded = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<PredictionEngine<TData, TPrediction>, AutoencoderPredictionEnginePool<TData, TPrediction>> _owners = new();

    internal PredictionEnginePool(IReadOnlyDictionary<string, PoolModel> models, AeOnnxOptions options, ILoggerFactory? loggerFactory)
    {
        _models = models;
        _options = options;
        _loggerFactory = loggerFactory;
    }

    /// <summary>Raised after a watch has tried a changed zip (reloaded or refused), on the watch's thread.</summary>
    public event EventHandler<ModelReloadedEventArgs>? ModelReloaded;

    /// <summary>The registered model names (<see cref="string.Empty"/> for a model registered without a name).</summary>
    public IReadOnlyCollection<string> ModelNames => _models.Keys.ToArray();

    /// <summary>The pipeline of the model registered without a name.</summary>
    /// <returns>The loaded pipeline.</returns>
    public ITransformer GetModel() => GetModel(string.Empty);

    /// <summary>The pipeline of a named model (loaded on first use).</summary>
    /// <param name="modelName">The name given to <c>FromFile</c>.</param>
    /// <returns>The loaded pipeline.</returns>
    public ITransformer GetModel(string modelName) => Current(modelName).Pipeline;

    /// <summary>An engine of the model registered without a name, for the caller's exclusive use.</summary>
    /// <returns>The engine; give it back with <see cref="ReturnPredictionEngine(PredictionEngine{TData, TPrediction})"/>.</returns>
    public PredictionEngine<TData, TPrediction> GetPredictionEngine() => GetPredictionEngine(string.Empty);

    /// <summary>An engine of a named model, for the caller's exclusive use.</summary>
    /// <param name="modelName">The name given to <c>FromFile</c>.</param>
    /// <returns>The engine; give it back with <see cref="ReturnPredictionEngine(string, PredictionEngine{TData, TPrediction})"/>.</returns>
    public PredictionEngine<TData, TPrediction> GetPredictionEngine(string modelName)
    {
        var engines = Current(modelName).Engines;
        var engine = engines.GetPredictionEngine();
        _owners.AddOrUpdate(engine, engines);
        return engine;
    }

    /// <summary>Gives back an engine of the model registered without a name.</summary>
    /// <param name="engine">The engine.</param>
    public void ReturnPredictionEngine(PredictionEngine<TData, TPrediction> engine) => ReturnPredictionEngine(string.Empty, engine);

    /// <summary>Gives back an engine; one of a pipeline since reloaded is let go rather than kept.</summary>
    /// <param name="modelName">The name it was taken with.</param>
    /// <param name="engine">The engine.</param>
    public void ReturnPredictionEngine(string modelName, PredictionEngine<TData, TPrediction> engine)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(engine);
        if (_owners.TryGetValue(engine, out var owner))
        {
            // An engine of a reloaded pipeline goes back to its own (unreferenced) pool, so it is collected with it.
            owner.ReturnPredictionEngine(engine);
        }
    }

    /// <summary>Predicts one example with the model registered without a name.</summary>
    /// <param name="example">The input row.</param>
    /// <returns>The prediction.</returns>
    public TPrediction Predict(TData example) => Predict(string.Empty, example);

    /// <summary>Predicts one example with a named model and a pooled engine.</summary>
    /// <param name="modelName">The name given to <c>FromFile</c>.</param>
    /// <param name="example">The input row.</param>
    /// <returns>The prediction (a new object per call).</returns>
    public TPrediction Predict(string modelName, TData example) => Current(modelName).Engines.Predict(example);

    /// <inheritdoc/>
    void IModelWatchSource.Load()
    {
        foreach (var name in _models.Keys)
        {
            Current(name);
        }
    }

    /// <inheritdoc/>
    IEnumerable<IDisposable> IModelWatchSource.StartWatches()
    {
        foreach (var (name, model) in _models.Where(m => m.Value.WatchForChanges))
        {
            Current(name);
            var logger = Logger(name);
            var location = new ModelLocation(model.FilePath);
            var watch = new ModelWatch(location, () => ModelLocation.FileFingerprint(location.Path), (_, _) =>
            {
                Reload(name, model, logger);
                return Task.CompletedTask;
            });
            yield return watch.Start(_options.WatchInterval, e => logger.LogWarning("AeOnnx: the watch of '{Path}' failed a look: {Message}", location.Path, e.Message));
        }
    }

    private Loaded Current(string modelName)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        if (!_models.TryGetValue(modelName, out var model))
        {
            var names = _models.Count == 0 ? "none is registered" : "registered: " + string.Join(", ", _models.Keys.Order(StringComparer.Ordinal).Select(n => n.Length == 0 ? "(no name)" : n));
            throw new ArgumentException($"No model named '{modelName}' in the prediction engine pool ({names}; add it with FromFile).", nameof(modelName));
        }

        var lazy = _loaded.GetOrAdd(modelName, n => new Lazy<Loaded>(() => Load(model, Logger(n)), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _loaded.TryRemove(new KeyValuePair<string, Lazy<Loaded>>(modelName, lazy));
            throw;
        }
    }

    private Loaded Load(PoolModel model, ILogger logger)
    {
        var ml = new MLContext();
        var options = new AeOnnxLoadOptions
        {
            ModelOptions = _options.ToAutoencoderOptions(logger),
            Device = _options.Device is null ? null : Device.Parse(_options.Device),
        };
        var pipeline = ml.LoadWithAeOnnx(model.FilePath, out _, options);
        return new Loaded(pipeline, new AutoencoderPredictionEnginePool<TData, TPrediction>(ml, pipeline));
    }

    private void Reload(string name, PoolModel model, ILogger logger)
    {
        try
        {
            var loaded = Load(model, logger);
            _loaded[name] = new Lazy<Loaded>(loaded);
            logger.LogInformation("AeOnnx: model '{Name}' reloaded from '{Path}'.", name, model.FilePath);
            ModelReloaded?.Invoke(this, new ModelReloadedEventArgs(name, null));
        }
        catch (Exception e) when (e is ModelLoadException or AutoencoderModelMismatchException or IOException or UnauthorizedAccessException or DeviceUnavailableException or InvalidOperationException or FormatException or System.IO.InvalidDataException)
        {
            logger.LogWarning("AeOnnx: refused the change of '{Path}' (model '{Name}'), the current pipeline keeps serving: {Message}", model.FilePath, name, e.Message);
            ModelReloaded?.Invoke(this, new ModelReloadedEventArgs(name, e.Message));
        }
    }

    private ILogger Logger(string name) =>
        _loggerFactory?.CreateLogger("AeOnnx.PredictionEnginePool." + (name.Length == 0 ? "default" : name)) ?? NullLogger.Instance;

    private sealed record Loaded(ITransformer Pipeline, AutoencoderPredictionEnginePool<TData, TPrediction> Engines);
}
