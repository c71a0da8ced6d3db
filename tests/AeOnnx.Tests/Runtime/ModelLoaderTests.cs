using System.Text.Json.Nodes;
using AeOnnx.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace AeOnnx.Tests.Runtime;

/// <summary>Every refusal of <see cref="Autoencoder.Load"/>: one exception type, a message naming file, field, expected and found.</summary>
public sealed class ModelLoaderTests
{
    private const string Model = TestModels.FashionAe;

    // The shipped model's latent size, read from its manifest so a retrained model keeps the tests valid.
    private static readonly int D = (int)TestModels.ReadManifest(TestModels.Folder(Model))["latent"]!["dim"]!;

    [Fact]
    public void Loads_the_shipped_model_and_exposes_its_manifest()
    {
        using var model = Autoencoder.Load(TestModels.Folder(Model), TestModels.CpuOptions());
        Assert.Equal(Model, model.Name);
        Assert.False(model.IsVariational);
        Assert.Equal((1, 28, 28), (model.Channels, model.Height, model.Width));
        Assert.Equal(784, model.PixelCount);
        Assert.Equal(model.Manifest.Latent.Dim, model.LatentDim);
        Assert.NotNull(model.LatentDistribution);
        Assert.Equal(Device.Cpu, model.Device);
    }

    [Fact]
    public void Loads_from_the_manifest_path_too()
    {
        using var model = Autoencoder.Load(Path.Combine(TestModels.Folder(Model), "manifest.json"), TestModels.CpuOptions());
        Assert.Equal(TestModels.Folder(Model), model.Folder);
    }

    [Fact]
    public void Refuses_a_missing_folder()
    {
        var path = Path.Combine(Path.GetTempPath(), "aeonnx-no-such-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<ModelLoadException>(() => Autoencoder.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("no such directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_an_empty_folder()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<ModelLoadException>(() => Autoencoder.Load(temp.Path));
        Assert.Contains("manifest.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_missing_graph_file()
    {
        using var temp = TestModels.Copy(Model);
        File.Delete(temp.File("decoder.onnx"));
        var error = Load(temp);
        Assert.Equal(temp.File("decoder.onnx"), error.File);
        Assert.Equal("decoder.file", error.Field);
        Assert.Contains("decoder.onnx", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_hash_mismatch_naming_expected_and_found()
    {
        using var temp = TestModels.Copy(Model);
        var bytes = File.ReadAllBytes(temp.File("encoder.onnx"));
        bytes[^1] ^= 0x5a;
        File.WriteAllBytes(temp.File("encoder.onnx"), bytes);
        var expected = (string)TestModels.ReadManifest(temp.Path)["encoder"]!["sha256"]!;
        var found = TestModels.Sha256(temp.File("encoder.onnx"));

        var error = Load(temp);
        Assert.Equal("encoder.sha256", error.Field);
        Assert.Contains("encoder.onnx", error.Message, StringComparison.Ordinal);
        Assert.Contains($"expected {expected}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"found {found}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("text")]
    public void Refuses_a_non_onnx_graph_without_crashing(string damage)
    {
        using var temp = TestModels.Copy(Model);
        var path = temp.File("encoder.onnx");
        var bytes = File.ReadAllBytes(path);
        var damaged = damage switch
        {
            "truncated" => bytes[..(bytes.Length / 2)],
            "garbage" => Enumerable.Range(0, 4096).Select(i => (byte)((i * 7919) % 251)).ToArray(),
            _ => "this is not an ONNX model\n"u8.ToArray(),
        };
        File.WriteAllBytes(path, damaged);
        TestModels.Rehash(temp.Path); // so the hash check passes and ONNX Runtime sees the bytes

        var error = Load(temp);
        Assert.Equal(path, error.File);
        Assert.Contains("encoder.onnx", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected a valid ONNX model", error.Message, StringComparison.Ordinal);
        Assert.Contains("ONNX Runtime refused it", error.Message, StringComparison.Ordinal);
        Assert.IsType<OnnxRuntimeException>(error.InnerException);
    }

    [Fact]
    public void Refuses_an_empty_graph_file()
    {
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("decoder.onnx"), []);
        var error = Load(temp);
        Assert.Equal(temp.File("decoder.onnx"), error.File);
        Assert.Contains("empty file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_an_unknown_format()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m => m["format"] = "aeonnx.model/2");
        var error = Load(temp);
        Assert.Equal(temp.File("manifest.json"), error.File);
        Assert.Equal("format", error.Field);
        Assert.Contains("manifest.json: format: expected \"aeonnx.model/1\", found \"aeonnx.model/2\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_malformed_json()
    {
        using var temp = TestModels.Copy(Model);
        var text = File.ReadAllText(temp.File("manifest.json"));
        File.WriteAllText(temp.File("manifest.json"), text[..(text.Length / 3)]);
        var error = Load(temp);
        Assert.Equal(temp.File("manifest.json"), error.File);
        Assert.Contains("manifest.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid JSON at line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_wrongly_typed_field_naming_it()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m => m["latent"]!["dim"] = "sixteen");
        var error = Load(temp);
        Assert.Equal("latent.dim", error.Field);
        Assert.Contains("manifest.json: latent.dim", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../encoder.onnx")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/encoder.onnx")]
    [InlineData("..")]
    [InlineData("")]
    public void Refuses_a_graph_path_that_is_not_a_plain_name(string file)
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m => m["encoder"]!["file"] = file);
        var error = Load(temp);
        Assert.Equal("encoder.file", error.Field);
        Assert.Contains("manifest.json: encoder.file", error.Message, StringComparison.Ordinal);
        Assert.Contains(file.Length == 0 ? "missing" : "expected a plain file name inside the model folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_graph_that_links_outside_the_folder()
    {
        using var outside = TestModels.Copy(Model);
        using var temp = TestModels.Copy(Model);
        File.Delete(temp.File("encoder.onnx"));
        File.CreateSymbolicLink(temp.File("encoder.onnx"), outside.File("encoder.onnx"));
        var error = Load(temp);
        Assert.Equal("encoder.file", error.Field);
        Assert.Contains("expected a file inside the model folder, found a link to " + outside.File("encoder.onnx"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_an_unknown_kind()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m => m["kind"] = "gan");
        var error = Load(temp);
        Assert.Contains("kind: expected \"ae\" or \"vae\", found \"gan\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_latent_size_the_graphs_do_not_have()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m =>
        {
            m["latent"] = new JsonObject { ["dim"] = D + 1 };
        });
        var error = Load(temp);
        Assert.Equal(temp.File("encoder.onnx"), error.File);
        Assert.Equal("encoder.outputs[0]", error.Field);
        Assert.Contains($"expected latent size {D + 1}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"found shape [N, {D}]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_decoder_whose_latent_size_differs_from_the_encoder()
    {
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("decoder.onnx"), OnnxBuilder.Decoder(latentDim: D + 3, channels: 1, height: 28, width: 28));
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        Assert.Equal(temp.File("decoder.onnx"), error.File);
        Assert.Equal("decoder.input", error.Field);
        Assert.Contains($"decoder.onnx: decoder.input: expected latent size {D} (the encoder's output)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"found latent size {D + 3}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_fixed_batch_dimension()
    {
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("decoder.onnx"), OnnxBuilder.Decoder(latentDim: D, channels: 1, height: 28, width: 28, batch: 1));
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        Assert.Contains("decoder.input \"latent\" batch dimension: expected a dynamic batch dimension", error.Message, StringComparison.Ordinal);
        Assert.Contains($"found [1, {D}]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_non_float_tensor()
    {
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("decoder.onnx"), OnnxBuilder.Decoder(latentDim: D, channels: 1, height: 28, width: 28, inputElementType: 11));
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        Assert.Contains("decoder.input \"latent\" element type: expected float32 tensor, found Double", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_synthetic_decoder_with_matching_shapes_loads_and_runs()
    {
        // Proves the builder writes valid graphs, so the refusals above are about the shapes.
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("decoder.onnx"), OnnxBuilder.Decoder(latentDim: D, channels: 1, height: 28, width: 28));
        TestModels.Rehash(temp.Path);
        using var model = Autoencoder.Load(temp.Path, TestModels.CpuOptions());
        var output = model.Decode(new float[D]);
        Assert.All(output, v => Assert.Equal(0.5f, v));
    }

    [Fact]
    public void Refuses_an_image_shape_the_encoder_does_not_take()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m =>
        {
            m["input"]!["height"] = 32;
            m["input"]!["width"] = 32;
        });
        var error = Load(temp);
        Assert.Equal(temp.File("encoder.onnx"), error.File);
        Assert.Contains("encoder.input \"image\" shape: expected [N, 1, 32, 32], found [N, 1, 28, 28]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_tensor_name_the_graph_does_not_have()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m => m["decoder"]!["output"] = "pixels");
        var error = Load(temp);
        Assert.Equal(temp.File("decoder.onnx"), error.File);
        Assert.Contains("decoder.output: expected an output named \"pixels\", found outputs [\"image\"]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_swapped_graphs()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m =>
        {
            m["encoder"]!["file"] = "decoder.onnx";
            m["decoder"]!["file"] = "encoder.onnx";
        });
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        Assert.Equal(temp.File("decoder.onnx"), error.File);
        Assert.Contains("encoder.input", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_bad_input_description()
    {
        using var temp = TestModels.Copy(Model);
        TestModels.EditManifest(temp.Path, m => m["input"]!["resize"] = "lanczos");
        var error = Load(temp);
        Assert.Contains("input.resize: expected \"bilinear\", \"bicubic\" or \"nearest\", found \"lanczos\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loads_a_bare_graph_pair_from_metadata_props()
    {
        using var temp = TestModels.Copy(Model);
        File.Delete(temp.File("manifest.json"));
        using var bare = Autoencoder.Load(temp.Path, TestModels.CpuOptions());
        using var full = Autoencoder.Load(TestModels.Folder(Model), TestModels.CpuOptions());

        Assert.Equal(full.Name, bare.Name);
        Assert.Equal(full.Manifest.Image with { Mean = [], Std = [] }, bare.Manifest.Image with { Mean = [], Std = [] });
        Assert.Equal(full.Manifest.Image.Mean, bare.Manifest.Image.Mean);
        Assert.Equal(full.Manifest.Image.Std, bare.Manifest.Image.Std);
        Assert.Equal(full.LatentDim, bare.LatentDim);
        Assert.Null(bare.LatentDistribution);
        var image = Path.Combine(TestModels.Folder(Model), "fixtures", "000.png");
        Assert.Equal(full.Encode(image), bare.Encode(image));
        Assert.Throws<InvalidOperationException>(() => bare.SampleLatents(1, 0));
    }

    [Fact]
    public void Calls_after_dispose_throw_object_disposed()
    {
        var model = Autoencoder.Load(TestModels.Folder(Model), TestModels.CpuOptions());
        var latent = new float[model.LatentDim];
        model.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.Decode(latent));
        Assert.Throws<ObjectDisposedException>(() => model.Encode(Path.Combine(TestModels.Folder(Model), "fixtures", "000.png")));
        Assert.Throws<ObjectDisposedException>(() => model.EncodeFilesAsync([]));
    }

    private static ModelLoadException Load(TempFolder temp) =>
        Assert.Throws<ModelLoadException>(() => Autoencoder.Load(temp.Path, TestModels.CpuOptions()));
}
