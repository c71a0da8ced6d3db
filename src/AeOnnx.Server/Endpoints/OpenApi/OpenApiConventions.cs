using System.Text.Json.Nodes;
using AeOnnx.Imaging;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AeOnnx.Server.Endpoints.OpenApi;

/// <summary>
/// What the framework cannot see in the OpenAPI document: the bodies and query parameters the handlers read
/// themselves (under the request budgets, with content sniffing), and the admin route's bearer scheme.
/// </summary>
internal static class OpenApiConventions
{
    public const string BearerScheme = "bearer";

    public static Task DocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "AeOnnx model service";
        document.Info.Description = "Encode, decode, reconstruct, interpolate, sample and do latent arithmetic with the served autoencoder. Errors are RFC 7807 problem documents; responses name the model that served them in X-AeOnnx-* headers.";
        document.AddComponent<IOpenApiSecurityScheme>(BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The admin token (AEONNX_ADMIN_TOKEN or --admin-token-file); without one the admin route answers 404.",
        });

        // Every problem document also carries the request's trace id (the log names it too).
        if (document.Components?.Schemas?.TryGetValue("ProblemDetails", out var found) == true && found is OpenApiSchema problem)
        {
            problem.Properties ??= new Dictionary<string, IOpenApiSchema>();
            problem.Properties["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's trace id, as the server's log names it." };
        }

        return Task.CompletedTask;
    }

    public static async Task OperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        foreach (var json in metadata.OfType<JsonBody>())
        {
            var schema = await context.GetOrCreateSchemaAsync(json.Type, null, cancellationToken);
            operation.RequestBody ??= new OpenApiRequestBody { Required = !json.Optional };
            var body = (OpenApiRequestBody)operation.RequestBody;
            body.Content ??= new Dictionary<string, OpenApiMediaType>();
            body.Content["application/json"] = new OpenApiMediaType { Schema = schema };
        }

        foreach (var query in metadata.OfType<QueryParameter>())
        {
            var schema = new OpenApiSchema { Type = query.Type };
            if (query.Values.Length > 0)
            {
                schema.Enum = [.. query.Values.Select(v => (JsonNode)JsonValue.Create(v)!)];
            }

            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter { Name = query.Name, In = ParameterLocation.Query, Description = query.Description, Schema = schema });
        }

        if (metadata.OfType<ImageBody>().Any())
        {
            operation.RequestBody ??= new OpenApiRequestBody { Required = true };
            var body = (OpenApiRequestBody)operation.RequestBody;
            body.Description = $"One image as the raw body ({ImageFormats.Names}; recognized by its bytes, so application/octet-stream or no Content-Type also work), or several as multipart/form-data file parts (any field name).";
            body.Content ??= new Dictionary<string, OpenApiMediaType>();
            foreach (var type in ImageFormats.MediaTypes.Append("application/octet-stream"))
            {
                body.Content[type] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
            }

            body.Content["multipart/form-data"] = new OpenApiMediaType
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["images"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                    },
                },
            };
        }

        foreach (var answer in metadata.OfType<BinaryAnswer>())
        {
            operation.Responses ??= [];
            if (!operation.Responses.TryGetValue("200", out var found))
            {
                found = new OpenApiResponse { Description = "OK" };
                operation.Responses["200"] = found;
            }

            var response = (OpenApiResponse)found;
            response.Content ??= new Dictionary<string, OpenApiMediaType>();
            foreach (var type in answer.MediaTypes)
            {
                var text = type.StartsWith("text/", StringComparison.Ordinal);
                response.Content[type] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = text ? null : "binary" } };
            }
        }

        if (metadata.OfType<AdminOnly>().Any())
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
        }
    }
}
