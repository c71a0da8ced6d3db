using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Tests;

/// <summary>
/// A fitted transformer whose model folder is replaced in place (issue 14's silent corruption):
/// each policy takes or refuses the new model, and no path serves a row cut from a model of
/// another shape.
/// </summary>
public sealed class ModelPolicyTests : IDisposable
{
    private readonly TempFolder _folder = TestModels.Copy(TestModels.FashionAe);
    private readonly TempFolder _zips = new();
    private readonly ListLogger _logger = new();

    public void Dispose()
    {
        AeOnnxModelCache.Clear();
        _folder.Dispose();
        _zips.Dispose();
    }

    private AutoencoderOptions LoggingOptions() => new() { Logger = _logger, IntraOpThreads = 1 };

    private IEstimator<ITransformer> Pipeline(MLContext ml, AutoencoderModelPolicy policy, AutoencoderOptions? modelOptions = null)
    {
        var t = ml.Transforms.Autoencoder();
        return t.LoadImages(new AutoencoderImageLoadingOptions { OutputColumnName = "Pixels", ModelDirectory = _folder.Path, ModelPolicy = policy, Device = Device.Cpu, ModelOptions = modelOptions })
            .Append(t.Encode(new AutoencoderEncodingOptions { OutputColumnName = "Latent", InputColumnName = "Pixels", ModelDirectory = _folder.Path, ModelPolicy = policy, Device = Device.Cpu, ModelOptions = modelOptions }));
    }

    /// <summary>Replaces the folder's files with another model's; optionally renames it (a retrained model keeps its name).</summary>
    private void ReplaceWith(string source, string? name = null)
    {
        foreach (var f in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
        {
            File.Copy(Path.Combine(source, f), _folder.File(f), overwrite: true);
        }

        if (name is not null)
        {
            TestModels.EditManifest(_folder.Path, m => m["name"] = name);
        }
    }

    private static float[][] CoreLatents(string folder)
    {
        using var core = Autoencoder.Load(folder, TestModels.CpuOptions());
        return TestData.SamplePaths().Select(core.Encode).ToArray();
    }

    private static void AssertLatents(float[][] expected, float[][] actual)
    {
        Assert.Equal(30, expected.Length);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Columns.AssertClose(expected[i], actual[i], 1e-5f, $"row {i}");
        }
    }

    [Fact]
    public void Pinned_folder_retrained_in_place_is_refused_naming_both_hashes()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = Pipeline(ml, AutoencoderModelPolicy.Pinned).Fit(data);
        var oldEncoder = TestModels.Sha256(_folder.File("encoder.onnx"));
        Columns.Vectors(model.Transform(data), "Latent");

        ReplaceWith(TestModels.Folder(TestModels.FashionVae), "fashion-mnist-ae");
        AeOnnxModelCache.Clear();
        var newEncoder = TestModels.Sha256(_folder.File("encoder.onnx"));

        var e = Assert.Throws<AutoencoderModelMismatchException>(() => Columns.Vectors(model.Transform(data), "Latent"));
        Assert.Contains("policy Pinned", e.Message, StringComparison.Ordinal);
        Assert.Contains($"expected {oldEncoder}+", e.Message, StringComparison.Ordinal);
        Assert.Contains($"found {newEncoder}+", e.Message, StringComparison.Ordinal);
        Assert.NotEqual(oldEncoder, newEncoder);
    }

    [Theory]
    [InlineData(AutoencoderModelPolicy.Pinned)]
    [InlineData(AutoencoderModelPolicy.Compatible)]
    [InlineData(AutoencoderModelPolicy.Follow)]
    public void Any_policy_latent_size_changed_in_place_is_a_shape_error_never_a_misaligned_row(AutoencoderModelPolicy policy)
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = Pipeline(ml, policy).Fit(data);
        var output = model.Transform(data);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 16), output.Schema["Latent"].Type);

        // The case: a model with latent 8 exported into the same folder, the cache cleared.
        using (var small = SyntheticModel.Create(1, 28, 28, 8))
        {
            ReplaceWith(small.Path, "fashion-mnist-ae");
        }

        AeOnnxModelCache.Clear();
        var e = Assert.Throws<AutoencoderModelMismatchException>(() => Columns.Vectors(model.Transform(data), "Latent"));
        Assert.Contains("(1×28×28 → 8)", e.Message, StringComparison.Ordinal);
        if (policy == AutoencoderModelPolicy.Pinned)
        {
            // The image column is refused first, by its graphs.
            Assert.Contains("field encoder+decoder sha256", e.Message, StringComparison.Ordinal);
        }
        else
        {
            // The image column may take it (same input shape); the latent column may not.
            Assert.Contains("column 'Latent'", e.Message, StringComparison.Ordinal);
            Assert.Contains("fitted with 'fashion-mnist-ae' (1×28×28 → 16)", e.Message, StringComparison.Ordinal);
            Assert.Contains("out=8", e.Message, StringComparison.Ordinal);
            Assert.Contains("out=16", e.Message, StringComparison.Ordinal);
        }

        // A PredictionEngine made before the swap is refused the same way.
        var engine = ml.Model.CreatePredictionEngine<ImageRow, SaveLoadTests.LatentRow>(model);
        Assert.Throws<AutoencoderModelMismatchException>(() => engine.Predict(TestData.SampleRows()[0]));
    }

    [Fact]
    public void Follow_same_shape_retrained_in_place_uses_the_new_model_with_the_fitted_schema()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = Pipeline(ml, AutoencoderModelPolicy.Follow, LoggingOptions()).Fit(data);
        var before = Columns.Vectors(model.Transform(data), "Latent");
        AssertLatents(CoreLatents(TestModels.Folder(TestModels.FashionAe)), before);

        ReplaceWith(TestModels.Folder(TestModels.FashionVae));
        AeOnnxModelCache.Clear();
        var output = model.Transform(data);

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 16), output.Schema["Latent"].Type);
        var after = Columns.Vectors(output, "Latent");
        AssertLatents(CoreLatents(TestModels.Folder(TestModels.FashionVae)), after);
        Assert.NotEqual(before[0], after[0]);
        Assert.Contains(_logger.Lines, l => l.Contains("now uses 'fashion-mnist-vae'", StringComparison.Ordinal) && l.Contains("policy Follow", StringComparison.Ordinal));
    }

    [Fact]
    public void Compatible_retrained_model_of_the_same_name_is_taken_and_logged()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = Pipeline(ml, AutoencoderModelPolicy.Compatible, LoggingOptions()).Fit(data);
        Columns.Vectors(model.Transform(data), "Latent");

        ReplaceWith(TestModels.Folder(TestModels.FashionVae), "fashion-mnist-ae");
        AeOnnxModelCache.Clear();

        AssertLatents(CoreLatents(_folder.Path), Columns.Vectors(model.Transform(data), "Latent"));
        var line = Assert.Single(_logger.Lines, l => l.Contains("column 'Latent' now uses", StringComparison.Ordinal));
        Assert.Contains(TestModels.Sha256(_folder.File("encoder.onnx")), line, StringComparison.Ordinal);
        Assert.Contains("policy Compatible", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Compatible_other_name_or_preprocessing_is_refused()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = Pipeline(ml, AutoencoderModelPolicy.Compatible).Fit(data);

        ReplaceWith(TestModels.Folder(TestModels.FashionVae));
        AeOnnxModelCache.Clear();
        var byName = Assert.Throws<AutoencoderModelMismatchException>(() => Columns.Vectors(model.Transform(data), "Latent"));
        Assert.Contains("field name: expected 'fashion-mnist-ae', found 'fashion-mnist-vae'", byName.Message, StringComparison.Ordinal);

        ReplaceWith(TestModels.Folder(TestModels.FashionVae), "fashion-mnist-ae");
        TestModels.EditManifest(_folder.Path, m => m["input"]!["std"] = new System.Text.Json.Nodes.JsonArray(0.5));
        AeOnnxModelCache.Clear();
        var byPreprocessing = Assert.Throws<AutoencoderModelMismatchException>(() => Columns.Vectors(model.Transform(data), "Latent"));
        Assert.Contains("field input preprocessing", byPreprocessing.Message, StringComparison.Ordinal);
        Assert.Contains("std=1;", byPreprocessing.Message, StringComparison.Ordinal);
        Assert.Contains("std=0.5;", byPreprocessing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Saved_with_compatible_loads_against_the_retrained_folder_and_predicts_with_it()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = Pipeline(ml, AutoencoderModelPolicy.Compatible).Fit(data);
        var zip = _zips.File("compatible.zip");
        ml.SaveWithAeOnnx(model, data.Schema, zip);

        ReplaceWith(TestModels.Folder(TestModels.FashionVae), "fashion-mnist-ae");
        AeOnnxModelCache.Clear();

        var fresh = new MLContext(seed: 2);
        var loaded = fresh.LoadWithAeOnnx(zip, out _);
        AssertLatents(CoreLatents(_folder.Path), Columns.Vectors(loaded.Transform(TestData.SampleView(fresh)), "Latent"));

        // The same zip under Pinned (the load option overrides the saved policy) is refused.
        AeOnnxModelCache.Clear();
        var pinned = new AeOnnxLoadOptions { ModelPolicy = AutoencoderModelPolicy.Pinned };
        Assert.Throws<AutoencoderModelMismatchException>(() => new MLContext(seed: 3).LoadWithAeOnnx(zip, out _, pinned));
    }
}
