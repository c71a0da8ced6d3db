using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace AeOnnx.ML.Tests;

/// <summary>ML.NET conventions: output-input-model order, MLImage input, imageFolder, options pass-through, pixel-range warning, old overloads.</summary>
public sealed class ConventionsTests : IDisposable
{
    private readonly Autoencoder _core = Autoencoder.Load(TestData.FashionModel, TestModels.CpuOptions());

    public void Dispose() => _core.Dispose();

    private float[][] CoreLatents() => TestData.SamplePaths().Select(_core.Encode).ToArray();

    private static void AssertRows(float[][] expected, float[][] actual, float tolerance = 1e-5f)
    {
        Assert.Equal(30, expected.Length);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Columns.AssertClose(expected[i], actual[i], tolerance, $"row {i}");
        }
    }

    [Fact]
    public void ML_image_column_from_ml_net_load_images_encodes_like_the_core()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var t = ml.Transforms.Autoencoder();
        var pipeline = ml.Transforms.LoadImages("Image", TestData.SampleImages, "ImagePath")
            .Append(t.Encode("Latent", "Image", TestData.FashionModel))
            .Append(t.LoadImages("Pixels", "Image", TestData.FashionModel))
            .Append(t.ReconstructionError("Error", "Image", TestData.FashionModel));
        var output = pipeline.Fit(data).Transform(data);

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 16), output.Schema["Latent"].Type);
        AssertRows(CoreLatents(), Columns.Vectors(output, "Latent"));
        AssertRows(TestData.SamplePaths().Select(_core.Images.LoadTensor).ToArray(), Columns.Vectors(output, "Pixels"), 0f);
        var errors = Columns.Scalars(output, "Error");
        var paths = TestData.SamplePaths();
        for (var i = 0; i < paths.Length; i++)
        {
            Assert.Equal((float)_core.Reconstruct(paths[i]).Error.Mse, errors[i], 6);
        }

        // One row at a time, too.
        var engine = ml.Model.CreatePredictionEngine<ImageRow, SaveLoadTests.LatentRow>(pipeline.Fit(data));
        Columns.AssertClose(CoreLatents()[7], engine.Predict(TestData.SampleRows()[7]).Latent, 1e-5f, "engine row 7");
    }

    [Fact]
    public void ML_image_column_wrong_shape_for_decode_is_refused_naming_the_column()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.LoadImages("Image", TestData.SampleImages, "ImagePath")
            .Append(ml.Transforms.Autoencoder().Decode("Decoded", "Image", TestData.FashionModel)).Fit(data));
        Assert.Contains("'Image'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Vector<Single, 16>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_folder_resolves_relative_paths_and_is_saved()
    {
        var ml = new MLContext(seed: 1);
        var rows = TestData.SampleRows().Select(r => new ImageRow { ImagePath = Path.GetFileName(r.ImagePath), Label = r.Label }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var t = ml.Transforms.Autoencoder();
        var model = t.LoadImages("Pixels", "ImagePath", TestData.FashionModel, imageFolder: TestData.SampleImages)
            .Append(t.Encode("Latent", "Pixels", TestData.FashionModel)).Fit(data);
        AssertRows(CoreLatents(), Columns.Vectors(model.Transform(data), "Latent"));

        using var temp = new TempFolder();
        ml.SaveWithAeOnnx(model, data.Schema, temp.File("p.zip"));
        var fresh = new MLContext(seed: 1);
        AssertRows(CoreLatents(), Columns.Vectors(fresh.LoadWithAeOnnx(temp.File("p.zip"), out _).Transform(fresh.Data.LoadFromEnumerable(rows)), "Latent"));
    }

    [Fact]
    public void Model_options_reach_the_core_and_its_logger_gets_the_range_warning_once()
    {
        var logger = new ListLogger();
        var options = new AutoencoderOptions { Logger = logger, IntraOpThreads = 1 };
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        // Forgotten scaleImage: 0..255 pixels into a model that expects 0..1.
        var pipeline = ml.Transforms.LoadImages("Image", TestData.SampleImages, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, outputAsFloatArray: true))
            .Append(ml.Transforms.Autoencoder().Encode(new AutoencoderEncodingOptions { ModelDirectory = TestData.FashionModel, ModelOptions = options, BatchSize = 8, Device = Device.Cpu }));
        var output = pipeline.Fit(data).Transform(data);
        Assert.Equal(30, Columns.Vectors(output, "Latent").Length);
        Columns.Vectors(output, "Latent");

        // The core's own load line arrived through the passed options' logger.
        Assert.Contains(logger.Lines, l => l.Contains("fashion-mnist-ae", StringComparison.Ordinal) && l.Contains("CPU", StringComparison.OrdinalIgnoreCase));
        var warning = Assert.Single(logger.Lines, l => l.Contains("Raw 0..255", StringComparison.Ordinal));
        Assert.Contains("column 'Pixels'", warning, StringComparison.Ordinal);
        Assert.Contains("expects normalized pixels in [0, 1]", warning, StringComparison.Ordinal);

        // Correctly scaled pixels give no warning.
        var quiet = new ListLogger();
        var scaled = ml.Transforms.LoadImages("Image", TestData.SampleImages, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255f, outputAsFloatArray: true))
            .Append(ml.Transforms.Autoencoder().Encode(new AutoencoderEncodingOptions { ModelDirectory = TestData.FashionModel, ModelOptions = new AutoencoderOptions { Logger = quiet }, Device = Device.Cpu }));
        Columns.Vectors(scaled.Fit(data).Transform(data), "Latent");
        Assert.DoesNotContain(quiet.Lines, l => l.Contains("Raw 0..255", StringComparison.Ordinal));
    }

    [Fact]
    public void The_ml_net_api_exposes_no_imagesharp_onnx_runtime_or_skia_type_and_no_settable_static()
    {
        var leaks = ApiLeaks.Find(typeof(AeOnnxCatalog).Assembly).ToArray();
        Assert.True(leaks.Length == 0, "leaks: " + string.Join(", ", leaks));
    }
}
