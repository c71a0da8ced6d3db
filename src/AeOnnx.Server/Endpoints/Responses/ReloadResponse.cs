namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of POST /v1/admin/reload: whether a model was swapped in (false: the folder is the one served, unchanged) and the model served now.</summary>
internal sealed record ReloadResponse(bool Swapped, string Name, int Generation, string EncoderSha256, string DecoderSha256);
