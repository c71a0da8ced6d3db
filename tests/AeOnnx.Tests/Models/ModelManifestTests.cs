using System.Globalization;
using AeOnnx.Models;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Models;

/// <summary>The one manifest type: validated on read into typed values, bounds on every size, identity for bare pairs.</summary>
public sealed class ModelManifestTests
{
    private const string Model = TestModels.FashionAe;

    [Fact]
    public void The_shipped_models_validate_into_typed_values()
    {
        using var ae = Autoencoder.Load(TestModels.Folder(Model), TestModels.CpuOptions());
        var m = ae.Manifest;
        var json = TestModels.ReadManifest(TestModels.Folder(Model));
        Assert.Equal(ModelKind.Autoencoder, m.Kind);
        Assert.Equal(ManifestSource.ManifestFile, m.Source);
        Assert.Equal(ImageColor.Gray, m.Image.Color);
        Assert.Equal(ResizeMethod.Bilinear, m.Image.Resize);
        Assert.Equal((1, 28, 28, 784), (m.Image.Channels, m.Image.Height, m.Image.Width, m.Image.PixelCount));
        Assert.Equal((float)json["input"]!["scale"]!, m.Image.Scale);
        Assert.Equal((int)json["latent"]!["dim"]!, m.Latent.Dim);
        Assert.True(m.Latent.HasDistribution);
        Assert.Equal((string)json["encoder"]!["sha256"]!, m.Encoder.Sha256);
        Assert.Equal((string)json["decoder"]!["sha256"]!, m.Decoder.Sha256);
        Assert.Equal(["latent"], m.Encoder.Outputs);
        Assert.Equal($"{m.Encoder.Sha256}+{m.Decoder.Sha256}", m.GraphIdentity);

        using var vae = Autoencoder.Load(TestModels.Folder(TestModels.FashionVae), TestModels.CpuOptions());
        Assert.Equal(ModelKind.VariationalAutoencoder, vae.Manifest.Kind);
        Assert.Equal(2, vae.Manifest.Encoder.Outputs.Count);

        using var rgb = Autoencoder.Load(TestModels.Folder(TestModels.TinyRgb), TestModels.CpuOptions());
        Assert.Equal(ImageColor.Rgb, rgb.Manifest.Image.Color);
        Assert.Equal(3, rgb.Manifest.Image.Mean.Count);
    }

    [Fact]
    public void A_bare_graph_pair_keeps_the_sha256_of_what_was_loaded()
    {
        // Before: the hashes were computed, then dropped, so every bare pair's identity was "+".
        using var temp = TestModels.Copy(Model);
        File.Delete(temp.File("manifest.json"));
        using var bare = Autoencoder.Load(temp.Path, TestModels.CpuOptions());
        Assert.Equal(ManifestSource.GraphMetadata, bare.Manifest.Source);
        Assert.Equal(TestModels.Sha256(temp.File("encoder.onnx")), bare.Manifest.Encoder.Sha256);
        Assert.Equal(TestModels.Sha256(temp.File("decoder.onnx")), bare.Manifest.Decoder.Sha256);

        using var full = Autoencoder.Load(TestModels.Folder(Model), TestModels.CpuOptions());
        Assert.Equal(full.Manifest.GraphIdentity, bare.Manifest.GraphIdentity);

        // A different pair of the same latent size has a different identity.
        using var other = TestModels.Copy(TestModels.FashionVae);
        File.Delete(other.File("manifest.json"));
        using var vae = Autoencoder.Load(other.Path, TestModels.CpuOptions());
        Assert.Equal(bare.LatentDim, vae.LatentDim);
        Assert.NotEqual(bare.Manifest.GraphIdentity, vae.Manifest.GraphIdentity);
    }

    [Fact]
    public void A_manifest_with_a_utf8_byte_order_mark_loads()
    {
        // Before: "invalid JSON at line 1 ('0xEF' is an invalid start of a value)".
        using var temp = TestModels.Copy(Model);
        var path = temp.File("manifest.json");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(path)]);
        using var model = Autoencoder.Load(temp.Path, TestModels.CpuOptions());
        Assert.Equal(Model, model.Name);
    }

    [Theory]
    [InlineData("height", 20000, "input.height: expected an integer from 1 to 8192, found 20000")]
    [InlineData("width", 65536, "input.width: expected an integer from 1 to 8192, found 65536")]
    [InlineData("height", 0, "input.height: expected an integer from 1 to 8192, found 0")]
    [InlineData("width", -28, "input.width: expected an integer from 1 to 8192, found -28")]
    [InlineData("channels", 4, "input.channels: expected 1 or 3, found 4")]
    public void Refuses_image_sizes_out_of_bounds_before_any_work(string field, int value, string message)
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m => m["input"]![field] = value);
        var error = Assert.Throws<ModelLoadException>(() => Autoencoder.Load(temp.Path, TestModels.CpuOptions()));
        Assert.Equal(temp.File("manifest.json"), error.File);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_an_image_whose_sides_fit_but_whose_tensor_does_not()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m =>
        {
            m["input"]!["channels"] = 3;
            m["input"]!["color"] = "rgb";
            m["input"]!["mean"] = new System.Text.Json.Nodes.JsonArray(0, 0, 0);
            m["input"]!["std"] = new System.Text.Json.Nodes.JsonArray(1, 1, 1);
            m["input"]!["height"] = 8192;
            m["input"]!["width"] = 8192;
        });
        var error = Assert.Throws<ModelLoadException>(() => Autoencoder.Load(temp.Path, TestModels.CpuOptions()));
        Assert.Equal("input.channels x height x width", error.Field);
        Assert.Contains("expected at most 16777216 values per image, found 3x8192x8192 = 201326592", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65537)]
    [InlineData(int.MaxValue)]
    public void Refuses_a_latent_size_out_of_bounds(int dim)
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m => m["latent"]!["dim"] = dim);
        var error = Assert.Throws<ModelLoadException>(() => Autoencoder.Load(temp.Path, TestModels.CpuOptions()));
        Assert.Equal("latent.dim", error.Field);
        Assert.Contains($"expected an integer from 1 to 65536, found {dim.ToString(CultureInfo.InvariantCulture)}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_bare_pair_whose_metadata_sizes_are_out_of_bounds()
    {
        // The same bounds hold when the sizes come from metadata_props instead of manifest.json.
        using var temp = new TempFolder();
        var input = """{"channels": 1, "height": 100000, "width": 28, "color": "gray", "layout": "NCHW", "scale": 255.0, "mean": [0.0], "std": [1.0], "resize": "bilinear"}""";
        var metadata = new Dictionary<string, string>
        {
            ["aeonnx.format"] = "aeonnx.model/1",
            ["aeonnx.kind"] = "ae",
            ["aeonnx.role"] = "encoder",
            ["aeonnx.input"] = input,
            ["aeonnx.latent_dim"] = "4",
        };
        File.WriteAllBytes(temp.File("encoder.onnx"), OnnxBuilder.WithMetadata(OnnxBuilder.Encoder(1, 28, 28, 4), metadata));
        File.WriteAllBytes(temp.File("decoder.onnx"), OnnxBuilder.Decoder(4, 1, 28, 28));
        var error = Assert.Throws<ModelLoadException>(() => Autoencoder.Load(temp.Path, TestModels.CpuOptions()));
        Assert.Contains("input.height: expected an integer from 1 to 8192, found 100000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_class_without_a_label()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m => m["latent"]!["classes"]![0]!["label"] = null);
        var error = Assert.Throws<ModelLoadException>(() => Autoencoder.Load(temp.Path, TestModels.CpuOptions()));
        Assert.Equal("latent.classes[0].label", error.Field);
        Assert.Contains("expected a value, found missing", error.Message, StringComparison.Ordinal);
    }
}
