namespace AeOnnx.Server.Endpoints.Requests;

/// <summary>Body of POST /v1/arithmetic: a start (a latent, or a class's centroid) plus weighted terms.</summary>
internal sealed record ArithmeticRequest(float[]? Latent, string? Class, IReadOnlyList<ArithmeticTerm>? Terms);
