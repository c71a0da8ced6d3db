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

    /// <summary>Changes to a valid <c>anomaly</c> block (<see cref="AnomalyBlock"/>) added to the shipped AE's manifest.</summary>
    public static TheoryData<string, bool> AnomalyChanges => new()
    {
        { "anomaly.format:aeonnx.anomaly/1", true },
        { "anomaly.format:aeonnx.anomaly/2", true }, // another format: not used, not checked
        { "anomaly.likelihood_sigma:0.1", true },
        { "anomaly.calibration.source:remove", true },
        { "anomaly.scores.mse.quantiles:remove", true },
        { "anomaly.future_field:add", true },
        { "anomaly.score:mse", true },

        { "anomaly.format:remove", false },
        { "anomaly.score:median", false },
        { "anomaly.score:neg_elbo", false },
        { "anomaly.scores.neg_elbo:{\"sorted\":[1,2,3]}", false }, // neg_elbo is a VAE's
        { "anomaly.scores.combined:remove", false },                 // the default score must be calibrated
        { "anomaly.scores.median:{\"sorted\":[1,2,3]}", false },
        { "anomaly.scores.mse.sorted:remove", false },
        { "anomaly.scores.mse.sorted:[]", false },
        { "anomaly.ssim:remove", false },
        { "anomaly.ssim.window:0", false },
        { "anomaly.ssim.sigma:0", false },
        { "anomaly.ssim.data_range:255", false },
        { "anomaly.combined.terms:[]", false },
        { "anomaly.combined.terms:[{\"score\":\"combined\",\"transform\":\"log\",\"mean\":0,\"std\":1}]", false },
        { "anomaly.combined.terms:[{\"score\":\"mse\",\"transform\":\"sqrt\",\"mean\":0,\"std\":1}]", false },
        { "anomaly.combined.terms:[{\"score\":\"mse\",\"transform\":\"log\",\"mean\":0,\"std\":0}]", false },
        { "anomaly.calibration.images:0", false },
        { "anomaly.calibration.quantile:nearest", false },
        { "anomaly.likelihood_sigma:-1", false },
    };

    /// <summary>A valid anomaly block for the shipped AE: three calibration images.</summary>
    internal static JsonObject AnomalyBlock() => JsonNode.Parse("""
        {
          "format": "aeonnx.anomaly/1",
          "score": "combined",
          "ssim": { "window": 7, "sigma": 1.5, "k1": 0.01, "k2": 0.03, "data_range": 1.0, "windows": "valid" },
          "combined": { "terms": [ { "score": "mse", "transform": "log", "mean": -4.5, "std": 0.25 },
                                   { "score": "mahalanobis", "transform": "identity", "mean": 4.0, "std": 1.0 } ] },
          "calibration": { "images": 3, "source": "validation split", "quantile": "linear" },
          "scores": {
            "mse": { "mean": 0.02, "std": 0.01, "quantiles": { "levels": [0.5, 0.99], "values": [0.02, 0.0298] }, "sorted": [0.01, 0.02, 0.03] },
            "ssim": { "sorted": [0.1, 0.2, 0.4] },
            "mahalanobis": { "sorted": [3.0, 4.0, 5.0] },
            "combined": { "sorted": [-2.0, 0.5, 1.5] }
          }
        }
        """)!.AsObject();

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

    [Theory]
    [MemberData(nameof(AnomalyChanges))]
    public void The_schema_and_the_reader_agree_on_the_anomaly_block(string change, bool accepted)
    {
        var manifest = TestModels.ReadManifest(TestModels.Folder(TestModels.FashionAe));
        manifest["anomaly"] = AnomalyBlock();
        Apply(manifest, change);
        var bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());

        using var json = JsonDocument.Parse(bytes);
        Assert.True(Schema.Value.Evaluate(json.RootElement).IsValid == accepted, $"{change}: the schema {(accepted ? "refuses" : "accepts")} it");
        if (accepted)
        {
            var read = ModelManifest.Parse(bytes, "m/manifest.json");
            Assert.Equal(change.StartsWith("anomaly.format:aeonnx.anomaly/2", StringComparison.Ordinal), read.Anomaly is null);
        }
        else
        {
            var error = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(bytes, "m/manifest.json"));
            Assert.Equal("m/manifest.json", error.File);
            Assert.StartsWith("anomaly", error.Field, StringComparison.Ordinal);
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
