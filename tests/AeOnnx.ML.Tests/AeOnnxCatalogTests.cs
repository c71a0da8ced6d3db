using AeOnnx.Latents;
using AeOnnx.ML.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Tests;

/// <summary>Each catalog estimator over real image files, compared with the core library on the same files.</summary>
public sealed class AeOnnxCatalogTests : IDisposable
{
    // ORT may pick different kernels for a batch of 64 and a batch of 1; allow float rounding, nothing more.
    private const float Tolerance = 1e-5f;
    private readonly Autoencoder _core = Autoencoder.Load(TestData.FashionModel, new AutoencoderOptions { Device = Device.Cpu });
    private readonly MLContext _ml = new(seed: 1);

    public void Dispose() => _core.Dispose();

    private IDataView Pipeline(IEstimator<ITransformer> estimator) => estimator.Fit(TestData.SampleView(_ml)).Transform(TestData.SampleView(_ml));

    [Fact]
    public void Load_autoencoder_images_gives_the_core_preprocessed_tensor()
    {
        var output = Pipeline(_ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel));

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 784), output.Schema["Pixels"].Type);
        var pixels = Columns.Vectors(output, "Pixels");
        var paths = TestData.SamplePaths();
        Assert.Equal(paths.Length, pixels.Length);
        for (var i = 0; i < paths.Length; i++)
        {
            Assert.Equal(_core.Images.LoadTensor(paths[i]), pixels[i]);
        }
    }

    [Fact]
    public void Encode_equals_core_encode_of_the_same_files()
    {
        var output = Pipeline(_ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel)
            .Append(_ml.Transforms.Autoencoder().Encode("Latent", "Pixels", TestData.FashionModel)));

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 16), output.Schema["Latent"].Type);
        var latents = Columns.Vectors(output, "Latent");
        var paths = TestData.SamplePaths();
        for (var i = 0; i < paths.Length; i++)
        {
            Columns.AssertClose(_core.Encode(paths[i]), latents[i], Tolerance, paths[i]);
        }

        // Different images give different latents: the comparison above is not vacuous.
        Assert.NotEqual(latents[0], latents[1]);
    }

    [Fact]
    public void Decode_reconstruct_and_error_equal_the_core()
    {
        var m = TestData.FashionModel;
        var output = Pipeline(_ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", m)
            .Append(_ml.Transforms.Autoencoder().Encode("Latent", "Pixels", m))
            .Append(_ml.Transforms.Autoencoder().Decode("Decoded", "Latent", m))
            .Append(_ml.Transforms.Autoencoder().Reconstruct("Reconstruction", "Pixels", m))
            .Append(_ml.Transforms.Autoencoder().ReconstructionError("ReconstructionError", "Pixels", m)));

        Assert.Equal(NumberDataViewType.Single, output.Schema["ReconstructionError"].Type);
        var decoded = Columns.Vectors(output, "Decoded");
        var reconstructions = Columns.Vectors(output, "Reconstruction");
        var errors = Columns.Scalars(output, "ReconstructionError");
        var paths = TestData.SamplePaths();
        for (var i = 0; i < paths.Length; i++)
        {
            var expected = _core.Reconstruct(paths[i]);
            Columns.AssertClose(expected.Output, decoded[i], Tolerance, $"decode {paths[i]}");
            Columns.AssertClose(expected.Output, reconstructions[i], Tolerance, $"reconstruct {paths[i]}");
            Assert.Equal(expected.Error.Mse, errors[i], 1e-6);
        }

        Assert.True(errors.Distinct().Count() > 1, "reconstruction errors should differ between images");
    }

    [Theory]
    [InlineData(InterpolationMode.Spherical, 0.3f)]
    [InlineData(InterpolationMode.Linear, 0.75f)]
    public void Interpolate_latents_equals_core_latent_math(InterpolationMode mode, float t)
    {
        var m = TestData.FashionModel;
        var rows = TestData.SampleRows();
        var pairs = rows.Select((r, i) => new PairRow { ImagePath = r.ImagePath, OtherPath = rows[(i + 7) % rows.Length].ImagePath }).ToArray();
        var data = _ml.Data.LoadFromEnumerable(pairs);
        var pipeline = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", m)
            .Append(_ml.Transforms.Autoencoder().LoadImages("OtherPixels", "OtherPath", m))
            .Append(_ml.Transforms.Autoencoder().Encode("Latent", "Pixels", m))
            .Append(_ml.Transforms.Autoencoder().Encode("OtherLatent", "OtherPixels", m))
            .Append(_ml.Transforms.Autoencoder().InterpolateLatents(new LatentInterpolationOptions { T = t, Mode = mode }));
        var output = pipeline.Fit(data).Transform(data);

        var a = Columns.Vectors(output, "Latent");
        var b = Columns.Vectors(output, "OtherLatent");
        var mid = Columns.Vectors(output, "Interpolated");
        for (var i = 0; i < pairs.Length; i++)
        {
            var expected = mode == InterpolationMode.Linear ? LatentMath.Lerp(a[i], b[i], t) : LatentMath.Slerp(a[i], b[i], t);
            Assert.Equal(expected, mid[i]);
        }
    }

    [Fact]
    public void Autoencoder_images_writes_pngs_that_round_trip_through_the_loader()
    {
        var m = TestData.FashionModel;
        var output = Pipeline(_ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", m));
        var dir = Path.Combine(Path.GetTempPath(), "aeonnx-ml-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var written = AutoencoderImages.SavePngs(output, "Pixels", m, dir);

            Assert.Equal(TestData.SamplePaths().Length, written.Count);
            // Pixels of 8-bit images survive normalize → denormalize → PNG exactly.
            var original = Columns.Vectors(output, "Pixels");
            for (var i = 0; i < written.Count; i++)
            {
                Assert.Equal(original[i], _core.Images.LoadTensor(written[i]));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public sealed class PairRow
    {
        public string ImagePath { get; set; } = "";

        public string OtherPath { get; set; } = "";
    }
}
