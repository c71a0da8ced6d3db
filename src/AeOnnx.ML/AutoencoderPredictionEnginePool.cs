using System.Collections.Concurrent;
using Microsoft.ML;

namespace AeOnnx.ML;

/// <summary>
/// A pool of ML.NET prediction engines over one pipeline, in the shape of
/// <c>Microsoft.Extensions.ML</c>'s <c>PredictionEnginePool</c> (<see cref="GetPredictionEngine"/>,
/// <see cref="ReturnPredictionEngine"/>, <see cref="Predict"/>), without depending on it. A
/// <see cref="PredictionEngine{TSrc, TDst}"/> is not thread-safe; the pool hands each caller its own
/// and keeps returned ones for reuse (a <see cref="ConcurrentBag{T}"/>: a thread tends to get back
/// the engine it returned). Over <see cref="AutoencoderModelBinding.Pipeline"/> the engines stay valid
/// across model swaps.
/// </summary>
/// <typeparam name="TData">The input row type.</typeparam>
/// <typeparam name="TPrediction">The output row type.</typeparam>
public sealed class AutoencoderPredictionEnginePool<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    private readonly MLContext _mlContext;
    private readonly ConcurrentBag<PredictionEngine<TData, TPrediction>> _engines = [];

    // Each engine's model pins (over a bound pipeline): let go after each prediction, so an idle engine
    // does not keep a swapped-out model alive.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<PredictionEngine<TData, TPrediction>, List<Internal.ModelPin>> _pins = new();
    private int _created;

    /// <summary>Creates the pool.</summary>
    /// <param name="mlContext">The context engines are made with.</param>
    /// <param name="pipeline">The fitted pipeline (e.g. <see cref="AutoencoderModelBinding.Pipeline"/>).</param>
    public AutoencoderPredictionEnginePool(MLContext mlContext, ITransformer pipeline)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(pipeline);
        _mlContext = mlContext;
        Pipeline = pipeline;
    }

    /// <summary>The pipeline the engines run.</summary>
    public ITransformer Pipeline { get; }

    /// <summary>Engines created so far (at most the number of concurrent callers).</summary>
    public int EnginesCreated => Volatile.Read(ref _created);

    /// <summary>An engine for the caller's exclusive use; give it back with <see cref="ReturnPredictionEngine"/>.</summary>
    /// <returns>The engine.</returns>
    public PredictionEngine<TData, TPrediction> GetPredictionEngine()
    {
        if (_engines.TryTake(out var engine))
        {
            return engine;
        }

        Interlocked.Increment(ref _created);
        using var collect = Internal.ModelPin.Collect();
        var created = _mlContext.Model.CreatePredictionEngine<TData, TPrediction>(Pipeline);
        _pins.Add(created, collect.Pins);
        return created;
    }

    /// <summary>Returns an engine taken from <see cref="GetPredictionEngine"/>.</summary>
    /// <param name="engine">The engine.</param>
    public void ReturnPredictionEngine(PredictionEngine<TData, TPrediction> engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (_pins.TryGetValue(engine, out var pins))
        {
            foreach (var pin in pins)
            {
                pin.Release();
            }
        }

        _engines.Add(engine);
    }

    /// <summary>Predicts one example with a pooled engine.</summary>
    /// <param name="example">The input row.</param>
    /// <returns>The prediction (a new object per call).</returns>
    public TPrediction Predict(TData example)
    {
        var engine = GetPredictionEngine();
        try
        {
            return engine.Predict(example);
        }
        finally
        {
            ReturnPredictionEngine(engine);
        }
    }
}
