namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of POST /v1/decode?format=json: one PNG data URL per latent.</summary>
internal sealed record DecodeResponse(IReadOnlyList<string> Images);
