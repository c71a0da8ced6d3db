namespace AeOnnx.ML.Extensions;

/// <summary>One model of a prediction engine pool: a saved pipeline zip, watched or not.</summary>
internal sealed record PoolModel(string FilePath, bool WatchForChanges);
