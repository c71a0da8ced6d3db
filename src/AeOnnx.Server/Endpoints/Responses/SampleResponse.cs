namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of POST /v1/sample?format=json: the distribution drawn from, the seed (given or drawn), the temperature, the latents and their images.</summary>
internal sealed record SampleResponse(string Source, int Seed, double Temperature, float[][] Latents, IReadOnlyList<string> Images);
