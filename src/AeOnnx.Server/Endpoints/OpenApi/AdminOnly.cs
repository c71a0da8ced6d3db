namespace AeOnnx.Server.Endpoints.OpenApi;

/// <summary>Endpoint metadata: the endpoint wants the admin token as a bearer token.</summary>
internal sealed record AdminOnly;
