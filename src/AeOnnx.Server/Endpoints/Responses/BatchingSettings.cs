namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>The dynamic batcher's settings and the rows waiting now.</summary>
internal sealed record BatchingSettings(int MaxBatch, double MaxDelayMs, int QueueCapacity, int Queued);
