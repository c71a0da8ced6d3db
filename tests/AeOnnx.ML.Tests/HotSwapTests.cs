using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.ML;

namespace AeOnnx.ML.Tests;

/// <summary>A pooled ML.NET pipeline bound to an AutoencoderHost, swapped under load.</summary>
public sealed class HotSwapTests : IDisposable
{
    private readonly TempFolder _a = TestModels.Copy(TestModels.FashionAe);

    // "Retrained": other graphs of the same shape and preprocessing, under the same name.
    private readonly TempFolder _b = TestModels.Copy(TestModels.FashionVae);

    public HotSwapTests() => TestModels.EditManifest(_b.Path, m => m["name"] = "fashion-mnist-ae");

    public void Dispose()
    {
        AeOnnxModelCache.Clear();
        _a.Dispose();
        _b.Dispose();
    }

    private static float[][] CoreLatents(string folder)
    {
        using var core = Autoencoder.Load(folder, TestModels.CpuOptions());
        return TestData.SamplePaths().Select(core.Encode).ToArray();
    }

    private static bool Close(float[] x, float[] y) => x.Length == y.Length && x.Zip(y).All(p => Math.Abs(p.First - p.Second) <= 1e-5f);

    private (AutoencoderHost Host, AutoencoderModelBinding Binding, MLContext Ml) Bind(ListLogger? logger = null)
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var t = ml.Transforms.Autoencoder();
        var fitted = t.LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = _a.Path, Device = Device.Cpu })
            .Append(t.Encode(new AutoencoderEncodingOptions { ModelDirectory = _a.Path, Device = Device.Cpu }))
            .Fit(data);
        var options = new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1, Logger = logger ?? new ListLogger() };
        var host = AutoencoderHost.Load(_a.Path, options);
        return (host, new AutoencoderModelBinding(fitted, host, AutoencoderModelPolicy.Compatible, options), ml);
    }

    [Fact]
    public void A_pooled_pipeline_under_16_threads_through_20_swaps_answers_each_prediction_from_the_model_that_served_it()
    {
        var expectedA = CoreLatents(_a.Path);
        var expectedB = CoreLatents(_b.Path);
        Assert.False(Close(expectedA[0], expectedB[0])); // the two models really differ
        var rows = TestData.SampleRows();
        var (host, binding, ml) = Bind();
        using var hostScope = host;
        var pool = new AutoencoderPredictionEnginePool<ImageRow, SaveLoadTests.LatentRow>(ml, binding.Pipeline);

        // Swap k is "in progress" while started != done; model generation k serves A for even k, B for odd k.
        var started = 0;
        var done = 0;
        long strict = 0;
        var load = SwapsUnderLoad.Run(threads: 16, rows.Length, swaps: 20, between: 64, i =>
        {
            var k = Volatile.Read(ref done);
            var quiet = Volatile.Read(ref started) == k;
            var latent = pool.Predict(rows[i]).Latent;
            quiet &= Volatile.Read(ref started) == k;
            if (quiet)
            {
                Interlocked.Increment(ref strict);
                return Close((k % 2 == 0 ? expectedA : expectedB)[i], latent) ? null : $"generation {k}: not the serving model's latent";
            }

            return Close(expectedA[i], latent) || Close(expectedB[i], latent) ? null : $"during swap {k}: neither model's latent";
        }, swap =>
        {
            Interlocked.Increment(ref started);
            Assert.True(binding.TrySwap(swap % 2 == 0 ? _b.Path : _a.Path), binding.LastRefusal);
            Interlocked.Increment(ref done);
        });

        Assert.Empty(load.Failures);
        Assert.Equal(20, binding.Swaps);
        Assert.Equal(20, host.Generation);
        Assert.True(load.Predictions >= 21 * 64, $"{load.Predictions} predictions");
        Assert.True(strict > 0, "no prediction ran between swaps");
        Assert.InRange(pool.EnginesCreated, 1, 16);
    }

    [Fact]
    public void Refused_folder_keeps_the_old_model_serving_and_is_reported()
    {
        var logger = new ListLogger();
        var (host, binding, ml) = Bind(logger);
        using var hostScope = host;
        var pool = new AutoencoderPredictionEnginePool<ImageRow, SaveLoadTests.LatentRow>(ml, binding.Pipeline);
        var row = TestData.SampleRows()[5];
        var before = pool.Predict(row).Latent;

        using var small = SyntheticModel.Create(1, 28, 28, 8);
        TestModels.EditManifest(small.Path, m => m["name"] = "fashion-mnist-ae");
        Assert.False(binding.TrySwap(small.Path));
        Assert.Contains("(1×28×28 → 8)", binding.LastRefusal, StringComparison.Ordinal);
        Assert.Contains("current model keeps serving", binding.LastRefusal, StringComparison.Ordinal);

        using var broken = TestModels.Copy(TestModels.FashionAe);
        File.Delete(broken.File("encoder.onnx"));
        Assert.False(binding.TrySwap(broken.Path));
        Assert.Contains("encoder.onnx", binding.LastRefusal, StringComparison.Ordinal);

        Assert.Equal(2, binding.Refusals);
        Assert.Equal(0, host.Generation);
        Assert.Equal(2, logger.Lines.Count(l => l.StartsWith("AeOnnx: refused", StringComparison.Ordinal)));
        Assert.Equal(before, pool.Predict(row).Latent);
        Columns.AssertClose(CoreLatents(_a.Path)[5], before, 1e-5f, "row 5");
    }

    [Fact]
    public void Watched_folder_retrained_in_place_is_swapped_in()
    {
        var (host, binding, ml) = Bind();
        using var hostScope = host;
        var pool = new AutoencoderPredictionEnginePool<ImageRow, SaveLoadTests.LatentRow>(ml, binding.Pipeline);
        var row = TestData.SampleRows()[2];
        Columns.AssertClose(CoreLatents(_a.Path)[2], pool.Predict(row).Latent, 1e-5f, "before");

        using (binding.WatchFolder(_a.Path, TimeSpan.FromMilliseconds(300)))
        {
            // A retrained export lands in the watched folder, file by file.
            foreach (var f in new[] { "encoder.onnx", "decoder.onnx", "manifest.json" })
            {
                File.Copy(_b.File(f), _a.File(f), overwrite: true);
            }

            // Events arrive asynchronously: wait for the swap (generously; this asserts the outcome, not a time).
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (binding.Swaps == 0 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }

        Assert.True(binding.Swaps >= 1, $"no swap; last refusal: {binding.LastRefusal}");
        Columns.AssertClose(CoreLatents(_b.Path)[2], pool.Predict(row).Latent, 1e-5f, "after");
    }

    [Fact]
    public void Watching_a_folder_that_does_not_exist_is_refused_at_once()
    {
        var (host, binding, _) = Bind();
        using var hostScope = host;
        var missing = Path.Combine(_a.Path, "no-such-folder");
        var error = Assert.Throws<ArgumentException>(() => binding.WatchFolder(missing));
        Assert.Equal("The folder '" + missing + "' does not exist. (Parameter 'folder')", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => binding.WatchFolder(_a.Path, TimeSpan.Zero));
    }
}
