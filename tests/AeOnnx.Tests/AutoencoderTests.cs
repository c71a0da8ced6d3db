using AeOnnx.Imaging;
using AeOnnx.Latents;
using AeOnnx.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Tests;

/// <summary>Operations on every shipped model (gray and RGB alike, same code): batches, threads, overloads, sampling.</summary>
[Collection(SharedModelsCollection.Name)]
public sealed class AutoencoderTests(SharedModels models)
{
    public static TheoryData<string> ShippedModels()
    {
        var data = new TheoryData<string>();
        foreach (var name in TestModels.All())
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Batch_equals_one_by_one_and_splits_large_batches(string name)
    {
        var model = models.Get(name);
        var paths = FixturePaths(name);
        var oneByOne = paths.Select(model.Encode).ToArray();
        var batch = model.EncodeBatch(paths);
        Assert.Equal(oneByOne.Length, batch.Length);
        for (var i = 0; i < batch.Length; i++)
        {
            AssertClose(oneByOne[i], batch[i]);
        }

        // Batch size 3 forces several runs (and a short last one) for the same inputs.
        using var small = Autoencoder.Load(TestModels.Folder(name), TestModels.CpuOptions(batchSize: 3));
        var split = small.EncodeBatch(paths);
        for (var i = 0; i < split.Length; i++)
        {
            AssertClose(oneByOne[i], split[i]);
        }

        var decodedOneByOne = oneByOne.Select(l => model.Decode(l)).ToArray();
        var decoded = small.DecodeBatch(oneByOne);
        for (var i = 0; i < decoded.Length; i++)
        {
            AssertClose(decodedOneByOne[i], decoded[i]);
        }
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Sixteen_threads_on_one_instance_equal_sequential(string name)
    {
        var model = models.Get(name);
        var paths = FixturePaths(name);
        var inputs = paths.Select(model.Images.LoadTensor).ToArray();
        var expected = inputs.Select(x => model.Reconstruct(x)).ToArray();

        var failures = 0;
        var threads = Enumerable.Range(0, 16).Select(t => new Thread(() =>
        {
            for (var round = 0; round < 10; round++)
            {
                var i = (t + round) % inputs.Length;
                var r = model.Reconstruct(inputs[i]);
                if (!r.Latent.SequenceEqual(expected[i].Latent) || !r.Output.SequenceEqual(expected[i].Output))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(0, failures);
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Path_stream_image_and_tensor_overloads_agree(string name)
    {
        var model = models.Get(name);
        var path = FixturePaths(name)[0];
        var expected = model.Encode(path);
        using (var stream = File.OpenRead(path))
        {
            Assert.Equal(expected, model.Encode(stream, path));
        }

        using (var image = Image.Load<Rgba32>(path))
        {
            var pixels = TestImages.ToImageData(image);
            Assert.Equal(expected, model.Encode(pixels));
            Assert.Equal(expected, model.EncodeBatch([pixels])[0]);
        }

        Assert.Equal(expected, model.Encode(model.Images.LoadTensor(path)));
        Assert.Equal(expected, model.Reconstruct(path).Latent);
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Reconstruction_error_is_mse_and_psnr_in_pixel_space(string name)
    {
        var model = models.Get(name);
        var input = model.Images.LoadTensor(FixturePaths(name)[0]);
        var r = model.Reconstruct(input);
        Assert.Equal(input, r.Input);
        Assert.Equal(model.PixelCount, r.Output.Length);

        var spec = model.Manifest.Image;
        var plane = model.Height * model.Width;
        var sum = 0.0;
        for (var i = 0; i < input.Length; i++)
        {
            var c = i / plane;
            var x = (input[i] * spec.Std[c]) + spec.Mean[c];
            var y = (r.Output[i] * spec.Std[c]) + spec.Mean[c];
            var d = (double)x - y;
            sum += d * d;
        }

        var mse = sum / input.Length;
        Assert.Equal(mse, r.Error.Mse, 9);
        Assert.Equal(10 * Math.Log10(1 / mse), r.Error.Psnr, 6);
        Assert.InRange(r.Error.Mse, 0, 0.1);
        Assert.Equal(double.PositiveInfinity, model.MeasureError(input, input).Psnr);

        var batch = model.ReconstructBatch(FixturePaths(name));
        Assert.Equal(r.Error.Mse, batch[0].Error.Mse, 9);
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Decoded_images_have_model_color_and_size(string name)
    {
        var model = models.Get(name);
        var latent = model.Encode(FixturePaths(name)[0]);
        var image = model.DecodeImage(latent);
        Assert.Equal((model.Width, model.Height), (image.Width, image.Height));
        Assert.Equal(model.Channels == 1 ? ImagePixelFormat.Gray8 : ImagePixelFormat.Rgb24, image.Format);
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Sampling_is_seeded_and_uses_the_right_distribution(string name)
    {
        var model = models.Get(name);
        var a = model.SampleLatents(4, seed: 123);
        Assert.Equal(a, model.SampleLatents(4, seed: 123));
        Assert.NotEqual(a[0], model.SampleLatents(4, seed: 124)[0]);

        // Auto (the default) and Fitted: mean + L·z from the manifest's numbers, for both kinds.
        var fitted = new LatentGaussian(model.Manifest.Latent.Mean!, model.Manifest.Latent.Cholesky!).Sample(4, 123);
        Assert.Equal(fitted, a);
        Assert.Equal(fitted, model.SampleLatents(4, 123, LatentSource.Fitted));

        // Prior: N(0, I) for a VAE; a plain autoencoder has none and says so.
        if (model.IsVariational)
        {
            Assert.Equal(LatentGaussian.Standard(model.LatentDim).Sample(4, 123), model.SampleLatents(4, 123, LatentSource.Prior));
            Assert.Same(model.PriorDistribution, model.GetSamplingDistribution(LatentSource.Prior));
        }
        else
        {
            Assert.Null(model.PriorDistribution);
            var e = Assert.Throws<InvalidOperationException>(() => model.SampleLatents(1, 0, LatentSource.Prior));
            Assert.Equal($"Model '{model.Name}' is a plain autoencoder: it has no prior to sample from (sample from the fitted latent Gaussian instead).", e.Message);
        }

        var images = model.Sample(2, seed: 5);
        Assert.Equal(2, images.Length);
        Assert.All(images, i => Assert.Equal(model.PixelCount, i.Length));
        Assert.Equal(images[0], model.Decode(model.SampleLatents(1, 5)[0]));
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Outlier_score_is_low_for_training_like_images_and_high_far_away(string name)
    {
        var model = models.Get(name);
        var latent = model.Encode(FixturePaths(name)[0]);
        var typical = model.OutlierScore(latent);
        var far = model.OutlierScore(LatentMath.Scale(latent, 50f));
        Assert.True(far > typical * 5, $"{far} vs {typical}");
        Assert.Equal(0.0, model.OutlierScore(model.Manifest.Latent.Mean!.ToArray()), 4);
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Vae_returns_log_variance_and_ae_refuses_it(string name)
    {
        var model = models.Get(name);
        var input = model.Images.LoadTensor(FixturePaths(name)[0]);
        var latents = new float[model.LatentDim];
        var logvar = new float[model.LatentDim];
        if (model.IsVariational)
        {
            model.EncodeTensor(input, latents, logvar);
            Assert.Equal(model.Encode(input), latents);
            Assert.Contains(logvar, v => v != 0f);
        }
        else
        {
            Assert.Throws<InvalidOperationException>(() => model.EncodeTensor(input, latents, logvar));
        }
    }

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void Decode_path_decodes_every_point_of_the_latent_path(string name)
    {
        var model = models.Get(name);
        var keys = FixturePaths(name).Take(3).Select(model.Encode).ToArray();
        var images = model.DecodePath(keys, 4, InterpolationMode.Linear);
        Assert.Equal(9, images.Length);
        AssertClose(model.Decode(keys[0]), images[0]);
        AssertClose(model.Decode(keys[1]), images[4]);
        AssertClose(model.Decode(keys[2]), images[8]);
        AssertClose(model.Decode(LatentMath.Lerp(keys[0], keys[1], 0.25f)), images[1]);
    }

    [Fact]
    public void Wrong_sizes_are_argument_errors()
    {
        var model = models.Get(TestModels.FashionAe);
        Assert.Throws<ArgumentException>(() => model.Encode(new float[model.PixelCount + 1]));
        Assert.Throws<ArgumentException>(() => model.Decode(new float[model.LatentDim - 1]));
        Assert.Throws<ArgumentException>(() => model.EncodeTensor(ReadOnlySpan<float>.Empty));
        Assert.Throws<ArgumentException>(() => model.DecodeTensor(new float[model.LatentDim * 2], new float[model.PixelCount]));
        Assert.Throws<ImageLoadException>(() => model.Encode("/no/such/image.png"));
    }

    [Fact]
    public void A_destination_longer_than_the_output_is_refused_not_half_filled()
    {
        // Before: "at least" was accepted, so the tail of a too-long destination kept stale values.
        var model = models.Get(TestModels.FashionVae);
        var images = new float[2 * model.PixelCount];
        var longer = new float[(2 * model.LatentDim) + 1];
        var error = Assert.Throws<ArgumentException>(() => model.EncodeTensor(images, longer));
        Assert.Equal("latents", error.ParamName);
        Assert.Contains($"Expected exactly {2 * model.LatentDim} floats", error.Message, StringComparison.Ordinal);

        var logVariances = Assert.Throws<ArgumentException>(() => model.EncodeTensor(images, new float[2 * model.LatentDim], new float[3 * model.LatentDim]));
        Assert.Equal("logVariances", logVariances.ParamName);

        var decoded = Assert.Throws<ArgumentException>(() => model.DecodeTensor(new float[model.LatentDim], new float[model.PixelCount + 1]));
        Assert.Equal("images", decoded.ParamName);
        Assert.Contains($"Expected exactly {model.PixelCount} floats", decoded.Message, StringComparison.Ordinal);

        // The exact size still works, and fills every value.
        var exact = Enumerable.Repeat(float.NaN, 2 * model.LatentDim).ToArray();
        model.EncodeTensor(images, exact);
        Assert.All(exact, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Dispose_waits_for_running_calls()
    {
        // The gate every session call passes: a call registered before Dispose keeps the sessions
        // alive until it leaves (no sleep: the running call is held open by the test itself).
        var released = 0;
        var gate = new CallGate(new object(), () => released++);
        gate.Enter();
        gate.Dispose();
        Assert.Equal(0, released);
        Assert.Throws<ObjectDisposedException>(gate.Enter);
        gate.Exit();
        Assert.Equal(1, released);
        gate.Dispose();
        Assert.Equal(1, released);

        // The model uses that gate: a finished call returned its latents; after Dispose, calls are refused.
        var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), TestModels.CpuOptions(batchSize: 1));
        var inputs = new float[model.PixelCount * 3];
        Assert.Equal(3 * model.LatentDim, model.EncodeTensor(inputs).Length);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.EncodeTensor(inputs));
        Assert.Throws<ObjectDisposedException>(() => model.DecodeTensor(new float[model.LatentDim]));
    }

    internal static string[] FixturePaths(string name) =>
        TestModels.ReadFixtures(name).Images.Select(i => Path.Combine(TestModels.Folder(name), "fixtures", i.File)).ToArray();

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            // Different batch sizes may pick different kernels; allow float32 rounding only.
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
        }
    }
}
