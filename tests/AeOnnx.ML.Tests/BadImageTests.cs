using AeOnnx.Imaging;
using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Tests;

/// <summary>A folder of 30 good images with a corrupt file and a missing one among them: Throw, Skip, ErrorColumn.</summary>
public sealed class BadImageTests : IDisposable
{
    private readonly TempFolder _images = new();
    private readonly ImageRow[] _rows;
    private readonly float[][] _expected;

    public BadImageTests()
    {
        var rows = TestData.SampleRows().ToList();
        File.WriteAllBytes(_images.File("corrupt.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5]);
        rows.Insert(3, new ImageRow { ImagePath = _images.File("corrupt.png"), Label = "bad" });
        rows.Insert(17, new ImageRow { ImagePath = _images.File("missing.png"), Label = "bad" });
        _rows = rows.ToArray();
        using var core = Autoencoder.Load(TestData.FashionModel, TestModels.CpuOptions());
        _expected = TestData.SamplePaths().Select(core.Encode).ToArray();
    }

    public void Dispose() => _images.Dispose();

    private static IEstimator<ITransformer> Pipeline(MLContext ml, AutoencoderBadImageHandling handling, int batchSize = 4)
    {
        var t = ml.Transforms.Autoencoder();
        return t.LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = TestData.FashionModel, BadImages = handling, BatchSize = batchSize, Device = Device.Cpu })
            .Append(t.Encode(new AutoencoderEncodingOptions { ModelDirectory = TestData.FashionModel, BatchSize = batchSize, Device = Device.Cpu }));
    }

    [Fact]
    public void Throw_is_the_default_and_names_the_file()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var model = Pipeline(ml, AutoencoderBadImageHandling.Throw).Fit(data);

        Assert.Equal(AutoencoderBadImageHandling.Throw, new AutoencoderImageLoadingOptions().BadImages);
        var e = Assert.Throws<ImageLoadException>(() => Columns.Vectors(model.Transform(data), "Latent"));
        Assert.Contains("corrupt.png", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(64)]
    public void Skip_filters_the_bad_rows_counts_them_and_keeps_the_rest(int batchSize)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var model = Pipeline(ml, AutoencoderBadImageHandling.Skip, batchSize).Fit(data);
        var output = model.Transform(data);

        var latents = Columns.Vectors(output, "Latent");
        var paths = Columns.Strings(output, "ImagePath");
        Assert.Null(output.GetRowCount());
        Assert.Equal(30, latents.Length);
        Assert.Equal(TestData.SamplePaths(), paths);
        for (var i = 0; i < 30; i++)
        {
            Columns.AssertClose(_expected[i], latents[i], 1e-5f, $"row {i}");
        }

        var loader = (AutoencoderTransformer)((IEnumerable<ITransformer>)model).First();
        Assert.Equal(2, loader.SkippedRowCount); // distinct rows, however many passes and cursors saw them
    }

    [Fact]
    public void Skip_pipeline_makes_a_prediction_engine_whose_bad_image_fails_saying_why_and_what_to_do()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var model = Pipeline(ml, AutoencoderBadImageHandling.Skip).Fit(data);

        // Before: ML.NET's "Must be a row to row mapper" from CreatePredictionEngine, with no hint.
        var engine = ml.Model.CreatePredictionEngine<ImageRow, SaveLoadTests.LatentRow>(model);
        Columns.AssertClose(_expected[0], engine.Predict(_rows[0]).Latent, 1e-5f, "a good image");
        var e = Assert.Throws<InvalidOperationException>(() => engine.Predict(_rows[3]));
        Assert.IsType<ImageLoadException>(e.InnerException);
        Assert.StartsWith("AeOnnx column 'Pixels': Cannot load image " + _images.File("corrupt.png"), e.Message, StringComparison.Ordinal);
        Assert.EndsWith(
            "BadImages = Skip leaves bad rows out of a data view, but a prediction engine returns one row per input, so this prediction fails instead: " +
            "catch the exception per prediction, or use BadImages = ErrorColumn to get the row with NaN values and the reason.",
            e.Message,
            StringComparison.Ordinal);
        Columns.AssertClose(_expected[1], engine.Predict(_rows[1]).Latent, 1e-5f, "the engine goes on after a bad image");
    }

    [Fact]
    public void Error_column_keeps_every_row_with_na_n_and_the_reason()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var model = Pipeline(ml, AutoencoderBadImageHandling.ErrorColumn).Fit(data);
        var output = model.Transform(data);

        Assert.Equal(TextDataViewType.Instance, output.Schema["ErrorMessage"].Type);
        var errors = Columns.Strings(output, "ErrorMessage");
        var latents = Columns.Vectors(output, "Latent");
        var pixels = Columns.Vectors(output, "Pixels");
        Assert.Equal(32, latents.Length);
        Assert.Contains("corrupt.png", errors[3], StringComparison.Ordinal);
        Assert.Contains("missing.png", errors[17], StringComparison.Ordinal);
        Assert.All(new[] { 3, 17 }, i =>
        {
            Assert.All(pixels[i], v => Assert.True(float.IsNaN(v)));
            Assert.All(latents[i], v => Assert.True(float.IsNaN(v)));
        });
        var good = Enumerable.Range(0, 32).Where(i => i is not 3 and not 17).ToArray();
        for (var j = 0; j < good.Length; j++)
        {
            Assert.Equal("", errors[good[j]]);
            Columns.AssertClose(_expected[j], latents[good[j]], 1e-5f, $"row {good[j]}");
        }

        // One row at a time (PredictionEngine) the same.
        var engine = ml.Model.CreatePredictionEngine<ImageRow, ErrorRow>(model);
        var bad = engine.Predict(_rows[3]);
        Assert.Contains("corrupt.png", bad.ErrorMessage, StringComparison.Ordinal);
        Assert.All(bad.Latent, v => Assert.True(float.IsNaN(v)));
        var fine = engine.Predict(_rows[0]);
        Assert.Equal("", fine.ErrorMessage);
        Columns.AssertClose(_expected[0], fine.Latent, 1e-5f, "engine row 0");
    }

    [Fact]
    public void Error_column_survives_save_and_load()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var model = Pipeline(ml, AutoencoderBadImageHandling.ErrorColumn).Fit(data);
        var zip = _images.File("errors.zip");
        ml.SaveWithAeOnnx(model, data.Schema, zip);

        var fresh = new MLContext(seed: 2);
        fresh.ComponentCatalog.RegisterAeOnnx(zip);
        var plain = fresh.Model.Load(zip, out _).Transform(fresh.Data.LoadFromEnumerable(_rows));
        var errors = Columns.Strings(plain, "ErrorMessage");
        Assert.Equal(32, errors.Length);
        Assert.Contains("missing.png", errors[17], StringComparison.Ordinal);
        Assert.All(Columns.Vectors(plain, "Latent")[17], v => Assert.True(float.IsNaN(v)));
        Columns.AssertClose(_expected[0], Columns.Vectors(plain, "Latent")[0], 1e-5f, "row 0");
    }

    public sealed class ErrorRow
    {
        [VectorType(16)]
        public float[] Latent { get; set; } = [];

        public string ErrorMessage { get; set; } = "";
    }
}
