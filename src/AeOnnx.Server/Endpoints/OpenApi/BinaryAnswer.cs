namespace AeOnnx.Server.Endpoints.OpenApi;

/// <summary>Endpoint metadata: media types a 200 answer may have besides JSON (a PNG, a GIF, a .npy), for the OpenAPI document.</summary>
internal sealed record BinaryAnswer(params string[] MediaTypes);
