using System.Net;
using System.Text.Json;
using AeOnnx.Server.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>
/// The OpenAPI document describes what the service really answers: each JSON answer and a problem document
/// are checked against the schema the document gives for that operation and status; bodies, parameters,
/// tags and the admin route's bearer scheme are there.
/// </summary>
[Collection(ServedModelCollection.Name)]
public sealed class OpenApiDocumentTests(ServedModelFixture fixture)
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Every_json_answer_matches_its_schema_in_the_document()
    {
        var document = await DocumentAsync();
        var image = Repo.Samples(1)[0];
        var zero = new float[16];
        var cases = new (string Method, string Path, string Url, HttpContent? Body)[]
        {
            ("post", "/v1/encode", "v1/encode", TestServer.Multipart(Repo.Samples(2))),
            ("post", "/v1/decode", "v1/decode?format=json", TestServer.Json(new { latents = new[] { zero } })),
            ("post", "/v1/reconstruct", "v1/reconstruct?format=json", TestServer.Png(image)),
            ("post", "/v1/score", "v1/score?heatmap=true&threshold=0.01", TestServer.Png(image)),
            ("post", "/v1/interpolate", "v1/interpolate?format=frames&steps=2", TestServer.Json(new { latents = new[] { zero, zero } })),
            ("post", "/v1/sample", "v1/sample?format=json&count=2", null),
            ("post", "/v1/arithmetic", "v1/arithmetic", TestServer.Json(new { @class = "Sneaker", terms = new[] { new { @class = "Sandal", weight = 0.5 } } })),
            ("get", "/v1/map", "v1/map", null),
            ("get", "/v1/model", "v1/model", null),
        };
        foreach (var (method, path, url, body) in cases)
        {
            using var response = method == "get" ? await Client.GetAsync(url) : await Client.PostAsync(url, body);
            var answer = await TestServer.ReadJsonAsync(response);
            var schema = document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty("200")
                .GetProperty("content").GetProperty("application/json").GetProperty("schema");
            var errors = new List<string>();
            Check(document, schema, answer, path, errors);
            Assert.True(errors.Count == 0, $"{path}: " + string.Join("\n", errors));
        }
    }

    [Fact]
    public async Task A_problem_answer_matches_the_problem_schema_of_its_operation()
    {
        var document = await DocumentAsync();
        using var response = await Client.PostAsync("v1/sample", TestServer.Json(new { cnt = 4 }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var schema = document.GetProperty("paths").GetProperty("/v1/sample").GetProperty("post").GetProperty("responses").GetProperty("400")
            .GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
        var errors = new List<string>();
        Check(document, schema, problem, "problem", errors);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Bodies_parameters_tags_and_the_admin_scheme_are_described()
    {
        var document = await DocumentAsync();
        var paths = document.GetProperty("paths");

        // Images: raw (each registered type, octet-stream) and multipart; JSON bodies with their record's schema.
        var encode = paths.GetProperty("/v1/encode").GetProperty("post");
        var bodies = encode.GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains("image/png", bodies);
        Assert.Contains("image/webp", bodies);
        Assert.Contains("application/octet-stream", bodies);
        Assert.Contains("multipart/form-data", bodies);
        var decodeBody = Resolve(document, paths.GetProperty("/v1/decode").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(decodeBody.GetProperty("properties").TryGetProperty("latents", out _));
        var interpolate = paths.GetProperty("/v1/interpolate").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(interpolate.TryGetProperty("application/json", out _) && interpolate.TryGetProperty("multipart/form-data", out _));

        // Query parameters the handlers read, with their values where they are a closed set.
        var sample = paths.GetProperty("/v1/sample").GetProperty("post");
        var parameters = sample.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p);
        Assert.Equal(["auto", "fitted", "prior"], parameters["from"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("integer", parameters["seed"].GetProperty("schema").GetProperty("type").GetString());
        Assert.Contains("image/png", sample.GetProperty("responses").GetProperty("200").GetProperty("content").EnumerateObject().Select(p => p.Name));

        // Tags by concern, not the assembly's name.
        Assert.Equal("Images", encode.GetProperty("tags")[0].GetString());
        Assert.Equal("Latents", sample.GetProperty("tags")[0].GetString());
        Assert.Equal("Health", paths.GetProperty("/readyz").GetProperty("get").GetProperty("tags")[0].GetString());
        Assert.DoesNotContain("AeOnnx.Cli", document.GetRawText(), StringComparison.Ordinal);

        // The admin route, and only it, wants the bearer scheme.
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        var reload = paths.GetProperty("/v1/admin/reload").GetProperty("post");
        Assert.True(reload.GetProperty("security")[0].TryGetProperty("bearer", out _));
        Assert.False(encode.TryGetProperty("security", out _));
        Assert.True(reload.GetProperty("responses").TryGetProperty("401", out _));
    }

    private async Task<JsonElement> DocumentAsync() =>
        JsonDocument.Parse(await Client.GetStringAsync("openapi/v1.json")).RootElement.Clone();

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        while (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!["#/components/schemas/".Length..];
            schema = document.GetProperty("components").GetProperty("schemas").GetProperty(name);
        }

        return schema;
    }

    /// <summary>A small JSON Schema check: $ref, oneOf/anyOf, type (one or a list), no property the schema lacks, required, items.</summary>
    private static void Check(JsonElement document, JsonElement schema, JsonElement value, string at, List<string> errors)
    {
        schema = Resolve(document, schema);
        foreach (var choice in new[] { "oneOf", "anyOf" })
        {
            if (schema.TryGetProperty(choice, out var options))
            {
                if (!options.EnumerateArray().Any(option => { var e = new List<string>(); Check(document, option, value, at, e); return e.Count == 0; }))
                {
                    errors.Add($"{at}: {value.ValueKind} matches none of {choice}");
                }

                return;
            }
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToArray() : [type.GetString()!];
            var kind = value.ValueKind switch
            {
                JsonValueKind.Object => "object",
                JsonValueKind.Array => "array",
                JsonValueKind.String => "string",
                JsonValueKind.Number => value.TryGetInt64(out _) && types.Contains("integer") ? "integer" : "number",
                JsonValueKind.True or JsonValueKind.False => "boolean",
                _ => "null",
            };
            if (!types.Contains(kind))
            {
                errors.Add($"{at}: a {kind}, the schema says {string.Join("|", types)}");
                return;
            }
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            var properties = schema.TryGetProperty("properties", out var p) ? p : default;
            var open = schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind != JsonValueKind.False;
            foreach (var property in value.EnumerateObject())
            {
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
                {
                    Check(document, propertySchema, property.Value, $"{at}.{property.Name}", errors);
                }
                else if (!open)
                {
                    errors.Add($"{at}.{property.Name}: in the answer, not in the schema");
                }
            }

            if (schema.TryGetProperty("required", out var required))
            {
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(r => !value.TryGetProperty(r, out _)))
                {
                    errors.Add($"{at}.{name}: required by the schema, not in the answer");
                }
            }
        }
        else if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(document, items, item, $"{at}[{i++}]", errors);
            }
        }
    }
}
