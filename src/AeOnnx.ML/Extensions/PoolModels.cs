namespace AeOnnx.ML.Extensions;

/// <summary>The models <c>FromFile</c> registered for one pool type (options, so registrations add up).</summary>
internal sealed class PoolModels<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    public Dictionary<string, PoolModel> Models { get; } = new(StringComparer.Ordinal);
}
