namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of POST /v1/reconstruct?format=json: per image, the error, the latent and both pictures.</summary>
internal sealed record ReconstructResponse(IReadOnlyList<ReconstructedImage> Items);
