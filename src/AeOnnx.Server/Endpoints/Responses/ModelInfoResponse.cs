using AeOnnx.Models;

namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of GET /v1/model: the served model, how it runs, its classes and metrics, the batcher, and the last refused folder.</summary>
internal sealed record ModelInfoResponse(
    string Name,
    string Kind,
    int Generation,
    int Swaps,
    DateTimeOffset LoadedAt,
    string Folder,
    string EncoderSha256,
    string DecoderSha256,
    string Device,
    string Provider,
    ModelInput Input,
    int LatentDim,
    bool CanSample,
    string? SamplingSource,
    IReadOnlyList<ModelClass> Classes,
    ModelMetrics? Metrics,
    IReadOnlyList<string> Warnings,
    BatchingSettings Batching,
    bool Watch,
    RefusalInfo? LastRefusal);
