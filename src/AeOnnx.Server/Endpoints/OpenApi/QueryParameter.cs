using Microsoft.OpenApi;

namespace AeOnnx.Server.Endpoints.OpenApi;

/// <summary>Endpoint metadata: a query parameter the handler reads itself (with its own 400/422 messages), for the OpenAPI document.</summary>
internal sealed record QueryParameter(string Name, JsonSchemaType Type, string Description, params string[] Values);
