namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of POST /v1/interpolate?format=frames: the path's latents and one PNG data URL per frame.</summary>
internal sealed record FramesResponse(string Mode, float[][] Latents, IReadOnlyList<string> Frames);
