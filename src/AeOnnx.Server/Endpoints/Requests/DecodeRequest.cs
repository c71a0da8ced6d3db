namespace AeOnnx.Server.Endpoints.Requests;

/// <summary>Body of POST /v1/decode: latents to decode; <c>columns</c> lays out the grid.</summary>
internal sealed record DecodeRequest(float[][]? Latents, int? Columns);
