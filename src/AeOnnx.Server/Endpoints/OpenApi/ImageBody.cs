namespace AeOnnx.Server.Endpoints.OpenApi;

/// <summary>Endpoint metadata: the endpoint takes images, one as a raw body or several as multipart/form-data (read by <see cref="RequestInputs"/>, not bound by the framework).</summary>
internal sealed record ImageBody;
