namespace AeOnnx.Server.Endpoints.Requests;

/// <summary>Body of POST /v1/sample (all optional; the query may carry them too).</summary>
internal sealed record SampleRequest(int? Count, int? Seed, double? Temperature, string? From = null);
