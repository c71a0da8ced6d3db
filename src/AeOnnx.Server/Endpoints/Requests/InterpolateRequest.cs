namespace AeOnnx.Server.Endpoints.Requests;

/// <summary>JSON body of POST /v1/interpolate: two or more key latents; steps and mode may also come from the query.</summary>
internal sealed record InterpolateRequest(float[][]? Latents, int? Steps, string? Mode);
