using AeOnnx.ML.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Tests;

/// <summary>mlContext.Model.Save, then RegisterAeOnnx + mlContext.Model.Load in a fresh context.</summary>
public sealed class SaveLoadTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "aeonnx-ml-tests", Guid.NewGuid().ToString("N"));

    public SaveLoadTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IEstimator<ITransformer> FullPipeline(MLContext ml)
    {
        var m = TestData.FashionModel;
        return ml.Transforms.Autoencoder().LoadImages("Pix", "ImagePath", m)
            .Append(ml.Transforms.Autoencoder().Encode("Z", "Pix", m))
            .Append(ml.Transforms.Autoencoder().Decode("Decoded", "Z", m))
            .Append(ml.Transforms.Autoencoder().Reconstruct("Recon", "Pix", m))
            .Append(ml.Transforms.Autoencoder().ReconstructionError("Err", "Pix", m))
            .Append(ml.Transforms.Autoencoder().InterpolateLatents("Half", "Z", "Z", 0.5f));
    }

    [Fact]
    public void Saved_pipeline_loads_in_a_fresh_context_with_identical_outputs_and_types()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = FullPipeline(ml).Fit(data);
        var before = model.Transform(data);
        var path = Path.Combine(_dir, "model.zip");
        ml.SaveWithAeOnnx(model, data.Schema, path);

        var fresh = new MLContext(seed: 2);
        var registered = fresh.ComponentCatalog.RegisterAeOnnx(path);
        var loaded = fresh.Model.Load(path, out var inputSchema);
        var after = loaded.Transform(TestData.SampleView(fresh));

        Assert.Equal(6, registered);
        Assert.Equal("ImagePath", inputSchema["ImagePath"].Name);
        foreach (var column in new[] { "Pix", "Z", "Decoded", "Recon", "Half" })
        {
            Assert.Equal(before.Schema[column].Type, after.Schema[column].Type);
            var x = Columns.Vectors(before, column);
            var y = Columns.Vectors(after, column);
            Assert.Equal(x.Length, y.Length);
            for (var i = 0; i < x.Length; i++)
            {
                // Batched before saving, one row per call after loading: float rounding at most.
                Columns.AssertClose(x[i], y[i], 1e-5f, $"{column} row {i}");
            }
        }

        Assert.Equal(NumberDataViewType.Single, after.Schema["Err"].Type);
        Assert.Equal(Columns.Scalars(before, "Err"), Columns.Scalars(after, "Err"), (p, q) => Math.Abs(p - q) <= 1e-6f);
    }

    [Fact]
    public void Loaded_latent_column_has_known_size_and_feeds_a_trainer()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var m = TestData.FashionModel;
        var model = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", m).Append(ml.Transforms.Autoencoder().Encode("Latent", "Pixels", m)).Fit(data);
        var path = Path.Combine(_dir, "encoder.zip");
        ml.SaveWithAeOnnx(model, data.Schema, path);

        var fresh = new MLContext(seed: 1);
        fresh.ComponentCatalog.RegisterAeOnnx(path);
        var loaded = fresh.Model.Load(path, out _);
        var latents = loaded.Transform(TestData.SampleView(fresh));

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 16), latents.Schema["Latent"].Type);
        var trainer = fresh.Transforms.Conversion.MapValueToKey("LabelKey", "Label")
            .Append(fresh.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "Latent", maximumNumberOfIterations: 50));
        var predictions = trainer.Fit(latents).Transform(latents);
        var metrics = fresh.MulticlassClassification.Evaluate(predictions, "LabelKey");
        // 30 images, 10 classes: a linear probe on latents fits its own training set far above chance (0.1).
        Assert.True(metrics.MicroAccuracy > 0.5, $"training accuracy {metrics.MicroAccuracy}");
    }

    [Fact]
    public void Loaded_pipeline_prediction_engine_matches_the_fitted_one()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var m = TestData.FashionModel;
        var model = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", m).Append(ml.Transforms.Autoencoder().Encode("Latent", "Pixels", m)).Fit(data);
        var path = Path.Combine(_dir, "engine.zip");
        ml.SaveWithAeOnnx(model, data.Schema, path);
        var fresh = new MLContext(seed: 1);
        fresh.ComponentCatalog.RegisterAeOnnx(path);
        var loaded = fresh.Model.Load(path, out _);

        var row = TestData.SampleRows()[3];
        var fitted = ml.Model.CreatePredictionEngine<ImageRow, LatentRow>(model).Predict(row);
        var reloaded = fresh.Model.CreatePredictionEngine<ImageRow, LatentRow>(loaded).Predict(row);

        Assert.Equal(16, fitted.Latent.Length);
        Assert.Equal(fitted.Latent, reloaded.Latent);
    }

    [Fact]
    public void Load_without_registering_fails_naming_the_contract()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel).Fit(data);
        var path = Path.Combine(_dir, "unregistered.zip");
        ml.SaveWithAeOnnx(model, data.Schema, path);

        var fresh = new MLContext(seed: 1);
        var e = Assert.ThrowsAny<Exception>(() => fresh.Model.Load(path, out _));
        Assert.Contains("Unable to locate an extension for the contract 'AeOnnx/2|", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_with_moved_model_folder_uses_the_registered_directory_and_refuses_a_missing_one()
    {
        // Save against a copy of the model, then delete the copy: loading must resolve by name.
        var copy = Path.Combine(_dir, "fashion-copy");
        Directory.CreateDirectory(copy);
        foreach (var f in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
        {
            File.Copy(Path.Combine(TestData.FashionModel, f), Path.Combine(copy, f));
        }

        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", copy).Append(ml.Transforms.Autoencoder().Encode("Latent", "Pixels", copy)).Fit(data);
        var expected = Columns.Vectors(model.Transform(data), "Latent");
        var path = Path.Combine(_dir, "moved.zip");
        ml.SaveWithAeOnnx(model, data.Schema, path);
        AeOnnxModelCache.Clear();
        Directory.Delete(copy, recursive: true);

        // Reported when registering, unwrapped, naming the model and the way out.
        var broken = new MLContext(seed: 1);
        var e = Assert.Throws<ModelLoadException>(() => broken.ComponentCatalog.RegisterAeOnnx(path));
        Assert.Contains("needs model 'fashion-mnist-ae'", e.Message, StringComparison.Ordinal);
        Assert.Contains("ModelDirectories", e.Message, StringComparison.Ordinal);
        Assert.Same(e.GetType(), Assert.Throws<ModelLoadException>(() => broken.LoadWithAeOnnx(path, out _)).GetType());

        var fixedUp = new MLContext(seed: 1);
        var options = new AeOnnxLoadOptions();
        options.ModelDirectories["fashion-mnist-ae"] = TestData.FashionModel;
        fixedUp.ComponentCatalog.RegisterAeOnnx(path, options);
        var reloaded = fixedUp.Model.Load(path, out _);
        var actual = Columns.Vectors(reloaded.Transform(TestData.SampleView(fixedUp)), "Latent");
        for (var i = 0; i < expected.Length; i++)
        {
            Columns.AssertClose(expected[i], actual[i], 1e-5f, $"row {i}");
        }

        // Saved again, the pipeline records the folder it now uses: it loads without overrides.
        var again = Path.Combine(_dir, "moved-again.zip");
        var batched = fixedUp.LoadWithAeOnnx(path, out var schema, options);
        fixedUp.SaveWithAeOnnx(batched, schema, again);
        var third = new MLContext(seed: 1);
        var latest = Columns.Vectors(third.LoadWithAeOnnx(again, out _).Transform(TestData.SampleView(third)), "Latent");
        Columns.AssertClose(expected[0], latest[0], 1e-5f, "re-saved row 0");
    }

    [Fact]
    public void Load_with_AeOnnx_restores_batched_transformers_with_the_same_outputs()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var model = FullPipeline(ml).Fit(data);
        var path = Path.Combine(_dir, "batched.zip");
        ml.SaveWithAeOnnx(model, data.Schema, path);

        var plainContext = new MLContext(seed: 1);
        plainContext.ComponentCatalog.RegisterAeOnnx(path);
        var plain = plainContext.Model.Load(path, out _).Transform(TestData.SampleView(plainContext));

        var fresh = new MLContext(seed: 1);
        var loaded = fresh.LoadWithAeOnnx(path, out var schema);
        var batched = loaded.Transform(TestData.SampleView(fresh));

        var parts = Assert.IsAssignableFrom<IEnumerable<ITransformer>>(loaded).ToArray();
        Assert.Equal(6, parts.Count(p => p is AutoencoderTransformer));
        Assert.Equal("ImagePath", schema["ImagePath"].Name);
        foreach (var column in new[] { "Pix", "Z", "Decoded", "Recon", "Half" })
        {
            Assert.Equal(plain.Schema[column].Type, batched.Schema[column].Type);
            var x = Columns.Vectors(plain, column);
            var y = Columns.Vectors(batched, column);
            for (var i = 0; i < x.Length; i++)
            {
                Columns.AssertClose(x[i], y[i], 1e-5f, $"{column} row {i}");
            }
        }
    }

    [Fact]
    public void Device_option_reaches_the_model_and_is_recorded_for_loading()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var m = TestData.FashionModel;
        var cpu = ml.Transforms.Autoencoder().LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = m, Device = Device.Cpu }).Fit(data);
        Assert.Equal(Device.Cpu, cpu.ModelDevice);

        // An explicit CUDA request either runs on CUDA or fails loudly; it never falls back silently.
        try
        {
            var cuda = ml.Transforms.Autoencoder().LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = m, Device = Device.Cuda(0) }).Fit(data);
            Assert.Equal(Device.Cuda(0), cuda.ModelDevice);
        }
        catch (DeviceUnavailableException e)
        {
            Assert.Contains("cuda", e.Message, StringComparison.OrdinalIgnoreCase);
        }

        var path = Path.Combine(_dir, "device.zip");
        ml.SaveWithAeOnnx(cpu, data.Schema, path);
        var fresh = new MLContext(seed: 1);
        var loaded = fresh.LoadWithAeOnnx(path, out _);
        Assert.Equal(Device.Cpu, Assert.IsType<AutoencoderTransformer>(loaded).ModelDevice);
    }

    public sealed class LatentRow
    {
        [VectorType(16)]
        public float[] Latent { get; set; } = [];
    }
}
