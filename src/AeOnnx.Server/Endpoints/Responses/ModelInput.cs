namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>The image a model takes: channels, size, color and the resampler applied when an image is not that size.</summary>
internal sealed record ModelInput(int Channels, int Height, int Width, string Color, string Resize);
