namespace AeOnnx.Server.Endpoints.Requests;

/// <summary>One term of latent arithmetic: a class direction (centroid minus the latent mean) or a raw latent, times a weight.</summary>
internal sealed record ArithmeticTerm(string? Class, float[]? Latent, double? Weight);
