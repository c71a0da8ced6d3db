namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of POST /v1/arithmetic (JSON): the result latent and its image as a PNG data URL.</summary>
internal sealed record ArithmeticResponse(float[] Latent, string Image);
