using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AeOnnx.Models;
using AeOnnx.Tests.Support;
using Json.Schema;

namespace AeOnnx.Tests.Models;

/// <summary>
/// The .NET reader against docs/manifest.schema.json (Python's export is tested against the same file):
/// every shipped manifest is valid and reads; for each change below, the schema and the reader agree on
/// whether the manifest is acceptable.
/// </summary>
public sealed class ManifestSchemaTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(TestModels.RepoRoot, "docs", "manifest.schema.json"))));

    public static TheoryData<string, bool> Changes => new()
    {
        // Accepted by both: what the format allows to be missing or added.
        { "name:remove", true },
        { "output:remove", true },
        { "metrics:remove", true },
        { "training:remove", true },
        { "latent.classes:remove", true },
        { "input.jpeg_draft:remove", true },
        { "input.layout:remove", true },
        { "future_field:add", true },
        { "input.future_field:add", true },

        // Refused by both.
        { "format:aeonnx.model/2", false },
        { "kind:gan", false },
        { "input:remove", false },
        { "input.channels:2", false },
        { "input.height:0", false },
        { "input.width:9000", false },
        { "input.color:rgb", false },
        { "input.scale:0", false },
        { "input.std:[0]", false },
        { "input.mean:[0,0,0]", false },
        { "input.resize:lanczos", false },
        { "input.layout:NHWC", false },
        { "input.gray:bt709", false },
        { "input.alpha:premultiply", false },
        { "input.jpeg_draft:\"yes\"", false },
        { "latent.dim:0", false },
        { "latent.dim:70000", false },
        { "latent.mean:remove", false }, // the Cholesky factor needs the mean
        { "encoder.sha256:remove", false },
        { "encoder.sha256:ABCDEF", false },
        { "encoder.file:../encoder.onnx", false },
        { "encoder.file:sub/encoder.onnx", false },
        { "encoder.outputs:[\"mean\",\"logvar\"]", false },
        { "encoder.input:\"\"", false },
        { "decoder.output:remove", false },
        { "decoder:remove", false },
    };

    [Fact]
    public void Every_shipped_manifest_is_valid_under_the_schema_and_reads()
    {
        var names = TestModels.All().ToArray();
        Assert.True(names.Length >= 3, "the shipped models are missing");
        foreach (var name in names)
        {
            var path = Path.Combine(TestModels.Folder(name), ModelManifest.FileName);
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            Assert.True(Schema.Value.Evaluate(json.RootElement).IsValid, $"{name}: not valid under the schema");
            var manifest = ModelManifest.Read(path);
            Assert.Equal(name, manifest.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void The_schema_and_the_reader_agree(string change, bool accepted)
    {
        var manifest = TestModels.ReadManifest(TestModels.Folder(TestModels.FashionAe));
        Apply(manifest, change);
        var bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());

        using var json = JsonDocument.Parse(bytes);
        Assert.True(Schema.Value.Evaluate(json.RootElement).IsValid == accepted, $"{change}: the schema {(accepted ? "refuses" : "accepts")} it");
        if (accepted)
        {
            // Without a name, the folder's name is the model's.
            Assert.Equal(TestModels.FashionAe, ModelManifest.Parse(bytes, Path.Combine(TestModels.Folder(TestModels.FashionAe), ModelManifest.FileName)).Name);
        }
        else
        {
            var error = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(bytes, "m/manifest.json"));
            Assert.Equal("m/manifest.json", error.File);
        }
    }

    /// <summary>"a.b:value" sets a.b to the JSON value (a bare word is a string), ":remove" removes it, ":add" adds 1.</summary>
    private static void Apply(JsonObject manifest, string change)
    {
        var colon = change.IndexOf(':', StringComparison.Ordinal);
        var path = change[..colon].Split('.');
        var value = change[(colon + 1)..];
        var parent = manifest;
        foreach (var key in path[..^1])
        {
            parent = parent[key]!.AsObject();
        }

        var last = path[^1];
        switch (value)
        {
            case "remove":
                Assert.True(parent.Remove(last), $"{change}: no such field");
                break;
            case "add":
                parent[last] = 1;
                break;
            default:
                JsonNode? node;
                try
                {
                    node = JsonNode.Parse(value);
                }
                catch (JsonException)
                {
                    node = JsonValue.Create(value);
                }

                parent[last] = node;
                break;
        }
    }
}
