using Microsoft.Extensions.DependencyInjection;

namespace AeOnnx.ML.Extensions;

/// <summary>
/// Adds models to a <see cref="PredictionEnginePool{TData, TPrediction}"/>, as <c>Microsoft.Extensions.ML</c>'s
/// builder does: <c>.FromFile(modelName, filePath, watchForChanges)</c>.
/// </summary>
/// <typeparam name="TData">The input row type.</typeparam>
/// <typeparam name="TPrediction">The output row type.</typeparam>
public sealed class PredictionEnginePoolBuilder<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    internal PredictionEnginePoolBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the pool is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds the model used without a name (<c>pool.Predict(example)</c>).</summary>
    /// <param name="filePath">A zip written by <c>SaveWithAeOnnx</c>.</param>
    /// <param name="watchForChanges">Reload the zip when it changes (under a running host).</param>
    /// <returns>This builder.</returns>
    public PredictionEnginePoolBuilder<TData, TPrediction> FromFile(string filePath, bool watchForChanges = false) =>
        FromFile(string.Empty, filePath, watchForChanges);

    /// <summary>Adds a named model (<c>pool.Predict(modelName, example)</c>).</summary>
    /// <param name="modelName">The name predictions ask for.</param>
    /// <param name="filePath">A zip written by <c>SaveWithAeOnnx</c>; a relative path is taken against the current directory now.</param>
    /// <param name="watchForChanges">Reload the zip when it changes and settles (under a running host).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is already registered, or the path is empty.</exception>
    public PredictionEnginePoolBuilder<TData, TPrediction> FromFile(string modelName, string filePath, bool watchForChanges = false)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        var model = new PoolModel(Path.GetFullPath(filePath), watchForChanges);
        Services.Configure<PoolModels<TData, TPrediction>>(o =>
        {
            if (!o.Models.TryAdd(modelName, model))
            {
                throw new ArgumentException($"The prediction engine pool already has a model named '{modelName}'.", nameof(modelName));
            }
        });
        return this;
    }
}
