namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of POST /v1/encode (JSON): one latent per image, in the order sent.</summary>
internal sealed record EncodeResponse(string Model, int Generation, int LatentDim, IReadOnlyList<string> Names, float[][] Latents);
