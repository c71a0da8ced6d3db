using System.IO.Compression;
using System.Text.Json.Nodes;
using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.ML;

namespace AeOnnx.ML.Tests;

/// <summary>Format 2: the AeOnnx payload by entry name, no absolute paths, relative or embedded models.</summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly TempFolder _root = new();

    public void Dispose()
    {
        AeOnnxModelCache.Clear();
        _root.Dispose();
    }

    /// <summary>A project folder: models/fashion (a copy of the shipped model) and out/ for zips.</summary>
    private string CopyModel(string relative)
    {
        var target = Path.Combine(_root.Path, relative);
        Directory.CreateDirectory(target);
        foreach (var f in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
        {
            File.Copy(Path.Combine(TestModels.Folder(TestModels.FashionAe), f), Path.Combine(target, f));
        }

        return target;
    }

    private static (ITransformer Model, float[][] Latents) Fit(MLContext ml, string folder)
    {
        var data = TestData.SampleView(ml);
        var t = ml.Transforms.Autoencoder();
        var model = t.LoadImages("Pixels", "ImagePath", folder).Append(t.Encode("Latent", "Pixels", folder)).Fit(data);
        return (model, Columns.Vectors(model.Transform(data), "Latent"));
    }

    private static void AssertSame(float[][] expected, float[][] actual)
    {
        Assert.Equal(30, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Columns.AssertClose(expected[i], actual[i], 1e-5f, $"row {i}");
        }
    }

    [Fact]
    public void Payload_is_one_versioned_json_entry_with_no_absolute_path()
    {
        var folder = CopyModel("project/models/fashion");
        var ml = new MLContext(seed: 1);
        var (model, _) = Fit(ml, folder);
        var zipPath = Path.Combine(_root.Path, "project", "out", "pipeline.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(zipPath)!);
        ml.SaveWithAeOnnx(model, TestData.SampleView(ml).Schema, zipPath);

        using var zip = ZipFile.OpenRead(zipPath);
        var entry = zip.GetEntry("AeOnnx/pipeline.json");
        Assert.NotNull(entry);
        using var reader = new StreamReader(entry.Open());
        var text = reader.ReadToEnd();
        var json = JsonNode.Parse(text)!;
        Assert.Equal("aeonnx.ml.pipeline/2", (string)json["Format"]!);
        var mappings = json["Mappings"]!.AsArray();
        Assert.Equal(2, mappings.Count);
        var encode = mappings.Single(m => (string)m!["Spec"]!["Kind"]! == "Encode")!;
        Assert.Equal("../models/fashion", (string)encode["RelativeFolder"]!);
        Assert.Equal("fashion-mnist-ae", (string)encode["Spec"]!["ModelName"]!);
        Assert.Equal(TestModels.Sha256(Path.Combine(folder, "encoder.onnx")), (string)encode["Spec"]!["EncoderSha256"]!);
        Assert.Equal("Pinned", (string)encode["Spec"]!["Policy"]!);
        Assert.DoesNotContain(_root.Path, text, StringComparison.Ordinal);
        Assert.DoesNotContain(_root.Path, string.Concat(zip.Entries.Select(e => e.FullName)), StringComparison.Ordinal);
    }

    [Fact]
    public void Relative_folder_moves_with_the_project()
    {
        var folder = CopyModel("a/models/fashion");
        var ml = new MLContext(seed: 1);
        var (model, expected) = Fit(ml, folder);
        Directory.CreateDirectory(Path.Combine(_root.Path, "a", "out"));
        ml.SaveWithAeOnnx(model, TestData.SampleView(ml).Schema, Path.Combine(_root.Path, "a", "out", "p.zip"));
        AeOnnxModelCache.Clear();
        Directory.Move(Path.Combine(_root.Path, "a"), Path.Combine(_root.Path, "b"));

        var fresh = new MLContext(seed: 2);
        var loaded = fresh.LoadWithAeOnnx(Path.Combine(_root.Path, "b", "out", "p.zip"), out _);
        AssertSame(expected, Columns.Vectors(loaded.Transform(TestData.SampleView(fresh)), "Latent"));
    }

    [Fact]
    public void Embedded_models_make_the_zip_self_contained()
    {
        var folder = CopyModel("gone/fashion");
        var ml = new MLContext(seed: 1);
        var (model, expected) = Fit(ml, folder);
        var zipPath = Path.Combine(_root.Path, "self-contained.zip");
        ml.SaveWithAeOnnx(model, TestData.SampleView(ml).Schema, zipPath, new AeOnnxSaveOptions { EmbedModels = true });
        AeOnnxModelCache.Clear();
        Directory.Delete(Path.Combine(_root.Path, "gone"), recursive: true);

        using (var zip = ZipFile.OpenRead(zipPath))
        {
            var graphs = zip.Entries.Where(e => e.FullName.StartsWith("AeOnnx/models/", StringComparison.Ordinal)).Select(e => e.Name).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(["decoder.onnx", "encoder.onnx", "manifest.json"], graphs);
        }

        var fresh = new MLContext(seed: 2);
        var loaded = fresh.LoadWithAeOnnx(zipPath, out _, new AeOnnxLoadOptions { EmbeddedModelCacheDirectory = Path.Combine(_root.Path, "unpacked") });
        AssertSame(expected, Columns.Vectors(loaded.Transform(TestData.SampleView(fresh)), "Latent"));
    }

    [Fact]
    public void Unknown_model_directories_key_is_an_error_naming_the_known_models()
    {
        var ml = new MLContext(seed: 1);
        var (model, _) = Fit(ml, TestData.FashionModel);
        var zipPath = Path.Combine(_root.Path, "p.zip");
        ml.SaveWithAeOnnx(model, TestData.SampleView(ml).Schema, zipPath);

        var options = new AeOnnxLoadOptions();
        options.ModelDirectories["fashion-mnist"] = TestData.FashionModel; // typo: the name is fashion-mnist-ae
        var e = Assert.Throws<ArgumentException>(() => new MLContext(seed: 1).LoadWithAeOnnx(zipPath, out _, options));
        Assert.Contains("names 'fashion-mnist', which the saved pipeline does not use", e.Message, StringComparison.Ordinal);
        Assert.Contains("its models are: 'fashion-mnist-ae'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_model_save_is_refused_pointing_to_save_with_AeOnnx()
    {
        var ml = new MLContext(seed: 1);
        var (model, _) = Fit(ml, TestData.FashionModel);
        var e = Assert.ThrowsAny<Exception>(() => ml.Model.Save(model, TestData.SampleView(ml).Schema, Path.Combine(_root.Path, "plain.zip")));
        var inner = e;
        while (inner.InnerException is not null && inner is not NotSupportedException)
        {
            inner = inner.InnerException;
        }

        Assert.IsType<NotSupportedException>(inner);
        Assert.Contains("mlContext.SaveWithAeOnnx", inner.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_to_stream_with_embedded_models_loads_from_a_stream()
    {
        var ml = new MLContext(seed: 1);
        var (model, expected) = Fit(ml, TestData.FashionModel);
        using var stream = new MemoryStream();
        ml.SaveWithAeOnnx(model, TestData.SampleView(ml).Schema, stream, new AeOnnxSaveOptions { EmbedModels = true });

        stream.Position = 0;
        var fresh = new MLContext(seed: 2);
        Assert.Equal(2, fresh.ComponentCatalog.RegisterAeOnnx(stream, new AeOnnxLoadOptions { EmbeddedModelCacheDirectory = Path.Combine(_root.Path, "unpacked") }));
        stream.Position = 0;
        var loaded = fresh.Model.Load(stream, out _);
        AssertSame(expected, Columns.Vectors(loaded.Transform(TestData.SampleView(fresh)), "Latent"));
    }
}
