using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Tests;

/// <summary>
/// One prediction, one model: with a pipeline bound to a host, every column of a prediction and every
/// row of a pass comes from one model generation while swaps happen; a swap keeps the host's options
/// and logger; and a swap to another latent basis is refused when trained stages read the latents,
/// unless the pipeline was refit for it (retrain-then-swap) or the user says so.
/// </summary>
public sealed class OneModelPerPredictionTests : IDisposable
{
    private readonly TempFolder _a = TestModels.Copy(TestModels.FashionAe);

    // "Retrained": other graphs of the same shape and preprocessing, under the same name.
    private readonly TempFolder _b = TestModels.Copy(TestModels.FashionVae);

    public OneModelPerPredictionTests() => TestModels.EditManifest(_b.Path, m => m["name"] = "fashion-mnist-ae");

    public void Dispose()
    {
        AeOnnxModelCache.Clear();
        _a.Dispose();
        _b.Dispose();
    }

    public sealed class Prediction
    {
        [VectorType(16)]
        public float[] Latent { get; set; } = [];

        public float Error { get; set; }
    }

    /// <summary>The independent reference: each model's latent and reconstruction error for every sample, from the core directly.</summary>
    private static (float[][] Latents, float[] Errors) Expected(string folder)
    {
        using var core = Autoencoder.Load(folder, TestModels.CpuOptions());
        var paths = TestData.SamplePaths();
        return (paths.Select(core.Encode).ToArray(), paths.Select(p => (float)core.Reconstruct(p).Error.Mse).ToArray());
    }

    private static bool Close(float[] x, float[] y) => x.Length == y.Length && x.Zip(y).All(p => Math.Abs(p.First - p.Second) <= 1e-5f);

    private static bool Close(float x, float y) => Math.Abs(x - y) <= 1e-6f + (1e-4f * Math.Abs(x));

    private (AutoencoderHost Host, AutoencoderModelBinding Binding, MLContext Ml) Bind(ILogger? logger = null, int batchSize = 64)
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var t = ml.Transforms.Autoencoder();
        var fitted = t.LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = _a.Path, Device = Device.Cpu, BatchSize = batchSize })
            .Append(t.Encode(new AutoencoderEncodingOptions { ModelDirectory = _a.Path, Device = Device.Cpu, BatchSize = batchSize }))
            .Append(t.ReconstructionError(new AutoencoderReconstructionErrorOptions { ModelDirectory = _a.Path, Device = Device.Cpu, OutputColumnName = "Error", BatchSize = batchSize }))
            .Fit(data);
        var host = AutoencoderHost.Load(_a.Path, new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1, BatchSize = batchSize, Logger = logger ?? new ListLogger() });
        return (host, new AutoencoderModelBinding(fitted, host), ml);
    }

    [Fact]
    public void Sixteen_threads_through_twenty_swaps_every_column_of_every_prediction_comes_from_one_model()
    {
        var a = Expected(_a.Path);
        var b = Expected(_b.Path);
        Assert.False(Close(a.Latents[0], b.Latents[0]));
        Assert.False(Close(a.Errors[0], b.Errors[0]));
        var rows = TestData.SampleRows();
        var (host, binding, ml) = Bind();
        using var hostScope = host;
        var pool = new AutoencoderPredictionEnginePool<ImageRow, Prediction>(ml, binding.Pipeline);

        long fromA = 0;
        long fromB = 0;
        var load = SwapsUnderLoad.Run(threads: 16, rows.Length, swaps: 20, between: 64, i =>
        {
            var p = pool.Predict(rows[i]);

            // Both columns from A, or both from B: never the latent of one and the error of the other.
            if (Close(a.Latents[i], p.Latent) && Close(a.Errors[i], p.Error))
            {
                Interlocked.Increment(ref fromA);
                return null;
            }

            if (Close(b.Latents[i], p.Latent) && Close(b.Errors[i], p.Error))
            {
                Interlocked.Increment(ref fromB);
                return null;
            }

            var latent = Close(a.Latents[i], p.Latent) ? "A" : Close(b.Latents[i], p.Latent) ? "B" : "neither";
            var error = Close(a.Errors[i], p.Error) ? "A" : Close(b.Errors[i], p.Error) ? "B" : "neither";
            return $"latent from {latent}, error from {error}";
        }, swap => Assert.True(binding.TrySwap(swap % 2 == 0 ? _b.Path : _a.Path), binding.LastRefusal));

        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Predictions} predictions mixed models or failed, e.g. {string.Join("; ", load.Failures.Take(5))}");
        Assert.Equal(20, binding.Swaps);
        Assert.True(fromA > 0 && fromB > 0, $"A {fromA}, B {fromB}");
        Assert.InRange(pool.EnginesCreated, 1, 16);
    }

    [Fact]
    public void A_pass_over_data_uses_the_model_current_when_its_cursor_was_made_for_every_row()
    {
        var a = Expected(_a.Path);
        var (host, binding, ml) = Bind(batchSize: 4);
        using var hostScope = host;
        var view = binding.Pipeline.Transform(TestData.SampleView(ml));
        using var cursor = view.GetRowCursor(view.Schema);
        var latentGetter = cursor.GetGetter<VBuffer<float>>(view.Schema["Latent"]);
        var errorGetter = cursor.GetGetter<float>(view.Schema["Error"]);
        var row = 0;
        while (cursor.MoveNext())
        {
            if (row == 5)
            {
                // A swap in the middle of the pass (between batches of 4): the pass goes on with A.
                Assert.True(binding.TrySwap(_b.Path), binding.LastRefusal);
            }

            VBuffer<float> latent = default;
            latentGetter(ref latent);
            float error = 0;
            errorGetter(ref error);
            Assert.True(Close(a.Latents[row], latent.DenseValues().ToArray()) && Close(a.Errors[row], error), $"row {row} not from the model the pass started with");
            row++;
        }

        Assert.Equal(30, row);

        // A new pass uses the new model.
        var b = Expected(_b.Path);
        Columns.AssertClose(b.Latents[7], Columns.Vectors(binding.Pipeline.Transform(TestData.SampleView(ml)), "Latent")[7], 1e-5f, "after the swap");
    }

    [Fact]
    public void TrySwap_loads_with_the_hosts_options_and_reports_to_the_hosts_logger()
    {
        // Before the fix a binding made without load options loaded swapped folders with the core's
        // defaults (batch size 64 instead of the host's 8), and refusals reached no logger of the host.
        var logger = new ListLogger();
        var (host, binding, _) = Bind(logger, batchSize: 8);
        using var hostScope = host;
        Assert.True(binding.TrySwap(_b.Path), binding.LastRefusal);
        Assert.Equal(8, host.Current.BatchSize);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.StartsWith("AeOnnx: swapped in", StringComparison.Ordinal));

        using var broken = TestModels.Copy(TestModels.FashionAe);
        File.Delete(broken.File("decoder.onnx"));
        Assert.False(binding.TrySwap(broken.Path));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("AeOnnx: refused", StringComparison.Ordinal));
    }

    /// <summary>LoadImages → Encode → a min-max normalizer fitted on the latents (a trained stage reading them).</summary>
    private static ITransformer FitWithTrainedStage(MLContext ml, string folder) =>
        ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", folder)
            .Append(ml.Transforms.Autoencoder().Encode("Latent", "Pixels", folder))
            .Append(ml.Transforms.NormalizeMinMax("Features", "Latent"))
            .Fit(TestData.SampleView(ml));

    public sealed class FeatureRow
    {
        [VectorType(16)]
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void A_swap_to_another_latent_basis_under_a_trained_stage_is_refused_unless_refit_or_allowed()
    {
        var ml = new MLContext(seed: 1);
        var fitted = FitWithTrainedStage(ml, _a.Path);
        var logger = new ListLogger();
        using var host = AutoencoderHost.Load(_a.Path, new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1, Logger = logger });
        var binding = new AutoencoderModelBinding(fitted, host);
        var pool = new AutoencoderPredictionEnginePool<ImageRow, FeatureRow>(ml, binding.Pipeline);
        var row = TestData.SampleRows()[3];
        var before = pool.Predict(row).Features;

        // Same name, shapes and preprocessing (Compatible), another encoder: refused, A serves on.
        Assert.False(binding.TrySwap(_b.Path));
        Assert.Contains("another latent basis", binding.LastRefusal, StringComparison.Ordinal);
        Assert.Contains("TrySwap(folder, refitPipeline)", binding.LastRefusal, StringComparison.Ordinal);
        Assert.Equal(0, host.Generation);
        Assert.Equal(before, pool.Predict(row).Features);

        // Retrain-then-swap: the normalizer refit on B's latents, swapped in with B.
        var refit = FitWithTrainedStage(ml, _b.Path);
        Assert.True(binding.TrySwap(_b.Path, refit), binding.LastRefusal);
        var expected = ml.Model.CreatePredictionEngine<ImageRow, FeatureRow>(refit).Predict(row).Features;
        Columns.AssertClose(expected, pool.Predict(row).Features, 1e-5f, "refit pipeline on B");

        // Back to A under the refit pipeline: another basis again, refused; allowed when the user says so, with a warning.
        Assert.False(binding.TrySwap(_a.Path));
        binding.AllowLatentBasisChange = true;
        Assert.True(binding.TrySwap(_a.Path), binding.LastRefusal);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("AllowLatentBasisChange was set", StringComparison.Ordinal));
    }

    [Fact]
    public void Loading_a_saved_pipeline_with_a_retrained_encoder_under_a_trained_stage_is_refused_unless_allowed()
    {
        // The issue's case: a saved Encode → trained stage, loaded with Compatible against a retrained folder.
        var ml = new MLContext(seed: 1);
        var folder = Path.Combine(_a.Path, "..", Path.GetFileName(_a.Path) + "-model");
        CopyFolder(_a.Path, folder);
        try
        {
            var fitted = FitWithTrainedStage(ml, folder);
            var zip = Path.Combine(_a.Path, "pipeline.zip");
            ml.SaveWithAeOnnx(fitted, TestData.SampleView(ml).Schema, zip);
            AeOnnxModelCache.Clear();
            foreach (var f in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
            {
                File.Copy(_b.File(f), Path.Combine(folder, f), overwrite: true);
            }

            var options = new AeOnnxLoadOptions { ModelPolicy = AutoencoderModelPolicy.Compatible };
            var e = Assert.Throws<AutoencoderModelMismatchException>(() => new MLContext(seed: 2).LoadWithAeOnnx(zip, out _, options));
            Assert.Contains("another latent basis", e.Message, StringComparison.Ordinal);

            AeOnnxModelCache.Clear();
            var logger = new ListLogger();
            var allowed = new AeOnnxLoadOptions
            {
                ModelPolicy = AutoencoderModelPolicy.Compatible,
                AllowLatentBasisChange = true,
                ModelOptions = new AutoencoderOptions { Device = Device.Cpu, Logger = logger },
            };
            var loaded = new MLContext(seed: 2).LoadWithAeOnnx(zip, out _, allowed);
            Assert.Equal(30, Columns.Vectors(loaded.Transform(TestData.SampleView(ml)), "Features").Length);
            Assert.Contains(logger.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.Contains("another latent basis", StringComparison.Ordinal));
        }
        finally
        {
            AeOnnxModelCache.Clear();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
        {
            File.Copy(Path.Combine(from, f), Path.Combine(to, f));
        }
    }
}
