using AeOnnx.Imaging;
using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.ML;

namespace AeOnnx.ML.Tests;

/// <summary>
/// A pass over a data view runs several model batches at once (one per core, single-threaded sessions)
/// and decodes ahead of the encoder. Over a real folder, with a corrupt file among the rows and the rows
/// in an order of their own, every row must still get exactly what the core computes for its file alone:
/// ONNX Runtime's CPU kernels compute each row of a batch on its own, whatever the batch's other rows and
/// the run's thread count, so running batches side by side changes no bit of any latent.
/// </summary>
public sealed class ConcurrentBatchesTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _corrupt;
    private readonly ImageRow[] _rows;

    public ConcurrentBatchesTests()
    {
        // A PNG cut after its header and part of its first chunk: the signature says PNG, the decoder fails.
        var good = TestData.SamplePaths();
        _corrupt = _folder.File("cut.png");
        File.WriteAllBytes(_corrupt, File.ReadAllBytes(good[0])[..40]);

        // Not the files' order: reversed, every third sample twice, the corrupt file in the middle of a batch.
        var rows = good.Reverse().SelectMany((p, i) => i % 3 == 0 ? new[] { p, p } : new[] { p }).ToList();
        rows.Insert(13, _corrupt);
        _rows = rows.Select(p => new ImageRow { ImagePath = p, Label = Path.GetFileName(p) }).ToArray();
    }

    public void Dispose() => _folder.Dispose();

    private static IEstimator<ITransformer> Pipeline(MLContext ml, AutoencoderBadImageHandling handling)
    {
        // Batches of 3 rows: a pass of 41 rows is many batches, run several at once on a multi-core machine.
        var t = ml.Transforms.Autoencoder();
        return t.LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = TestData.FashionModel, BadImages = handling, BatchSize = 3, Device = Device.Cpu })
            .Append(t.Encode(new AutoencoderEncodingOptions { ModelDirectory = TestData.FashionModel, BatchSize = 3, Device = Device.Cpu }));
    }

    /// <summary>The core, one file per call, with ONNX Runtime's default threads.</summary>
    private static (float[] Pixels, float[] Latent) Core(Autoencoder core, string path) => (core.Images.LoadTensor(path), core.Encode(path));

    private static string CoreFailure(Autoencoder core, string path) =>
        Assert.Throws<ImageLoadException>(() => core.Images.LoadTensor(path)).Message;

    [Fact]
    public void Error_column_pass_gives_every_row_the_core_latent_of_its_own_file_in_row_order()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var output = Pipeline(ml, AutoencoderBadImageHandling.ErrorColumn).Fit(data).Transform(data);
        using var core = Autoencoder.Load(TestData.FashionModel, new AutoencoderOptions { Device = Device.Cpu });

        var paths = Columns.Strings(output, "ImagePath");
        var pixels = Columns.Vectors(output, "Pixels");
        var latents = Columns.Vectors(output, "Latent");
        var errors = Columns.Strings(output, "ErrorMessage");

        Assert.Equal(_rows.Select(r => r.ImagePath), paths);
        for (var i = 0; i < _rows.Length; i++)
        {
            if (paths[i] == _corrupt)
            {
                Assert.Equal(13, i);
                Assert.Equal(CoreFailure(core, _corrupt), errors[i]);
                Assert.All(pixels[i], v => Assert.True(float.IsNaN(v)));
                Assert.All(latents[i], v => Assert.True(float.IsNaN(v)));
                continue;
            }

            var expected = Core(core, paths[i]);
            Assert.Equal("", errors[i]);
            Assert.Equal(expected.Pixels, pixels[i]);
            Assert.Equal(expected.Latent, latents[i]);
        }
    }

    [Fact]
    public void Skip_pass_leaves_out_only_the_corrupt_row_and_keeps_the_order_and_the_core_latents()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var model = Pipeline(ml, AutoencoderBadImageHandling.Skip).Fit(data);
        var output = model.Transform(data);
        using var core = Autoencoder.Load(TestData.FashionModel, new AutoencoderOptions { Device = Device.Cpu });

        var paths = Columns.Strings(output, "ImagePath");
        var latents = Columns.Vectors(output, "Latent");

        Assert.Equal(_rows.Select(r => r.ImagePath).Where(p => p != _corrupt), paths);
        for (var i = 0; i < paths.Length; i++)
        {
            Assert.Equal(Core(core, paths[i]).Latent, latents[i]);
        }

        Assert.Equal(1, ((AutoencoderTransformer)((IEnumerable<ITransformer>)model).First()).SkippedRowCount);
    }

    [Fact]
    public void Throw_pass_fails_with_the_core_error_of_the_corrupt_file()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var output = Pipeline(ml, AutoencoderBadImageHandling.Throw).Fit(data).Transform(data);
        using var core = Autoencoder.Load(TestData.FashionModel, new AutoencoderOptions { Device = Device.Cpu });

        var e = Assert.Throws<ImageLoadException>(() => Columns.Vectors(output, "Latent"));
        Assert.Equal(CoreFailure(core, _corrupt), e.Message);
    }
}
