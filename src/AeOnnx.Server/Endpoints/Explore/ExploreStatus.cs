namespace AeOnnx.Server.Endpoints.Explore;

/// <summary>
/// GET /v1/explore: the map's state. <c>state</c> is <c>off</c> (no <c>--explore</c>), <c>computing</c>
/// (the served generation's map is being made: <c>done</c> of <c>total</c> images encoded), <c>ready</c> or
/// <c>failed</c> (<c>failure</c> says why). <c>mapGeneration</c> is the generation of the map the point
/// endpoints serve (-1: none yet); <c>modelGeneration</c> the model now served.
/// </summary>
internal sealed record ExploreStatus(
    string State,
    string? Source,
    string? SourceKind,
    int Images,
    int ModelGeneration,
    int MapGeneration,
    int Points,
    int Skipped,
    int Done,
    int Total,
    string? Failure,
    IReadOnlyList<string> Projections,
    IReadOnlyList<string> Labels,
    double? EncodeMs,
    double? ProjectMs);
