using AeOnnx.Imaging;
using AeOnnx.Latents;
using AeOnnx.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace AeOnnx.Tests;

public sealed class AutoencoderOptionsTests
{
    private static readonly string Image = Path.Combine(TestModels.Folder(TestModels.FashionAe), "fixtures", "000.png");

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new AutoencoderOptions();
        Assert.Equal(Device.Auto, options.Device);
        Assert.Equal(0, options.IntraOpThreads);
        Assert.Equal(GraphOptimization.All, options.OptimizationLevel);
        Assert.Null(options.OptimizedModelCacheDirectory);
        Assert.Equal(64, options.BatchSize);
        Assert.Same(ImageLimits.Default, options.ImageLimits);
        Assert.Same(NullLogger.Instance, options.Logger);
    }

    [Fact]
    public void Optimized_model_cache_is_written_then_reused_with_equal_results()
    {
        using var cache = new TempFolder();
        var options = TestModels.CpuOptions();
        options = options with { OptimizedModelCacheDirectory = cache.Path };

        float[] first;
        using (var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options))
        {
            first = model.Reconstruct(Image).Output;
        }

        var files = Directory.GetFiles(cache.Path).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(2, files.Length);
        Assert.All(files, f => Assert.Contains("ORT_ENABLE_ALL-cpu", f, StringComparison.Ordinal));
        var written = files.Select(f => File.GetLastWriteTimeUtc(Path.Combine(cache.Path, f!))).ToArray();

        using (var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options))
        {
            var second = model.Reconstruct(Image).Output;
            for (var i = 0; i < first.Length; i++)
            {
                Assert.Equal(first[i], second[i], 6);
            }
        }

        Assert.Equal(written, files.Select(f => File.GetLastWriteTimeUtc(Path.Combine(cache.Path, f!))).ToArray());
    }

    [Fact]
    public void A_broken_cache_file_is_replaced_not_fatal()
    {
        using var cache = new TempFolder();
        var options = TestModels.CpuOptions();
        options = options with { OptimizedModelCacheDirectory = cache.Path };
        using (Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options))
        {
        }

        foreach (var file in Directory.GetFiles(cache.Path))
        {
            File.WriteAllText(file, "garbage");
        }

        var log = new ListLogger();
        options = options with { Logger = log };
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options);
        Assert.Equal(model.LatentDim, model.Encode(Image).Length);
        Assert.Contains(log.Events, e => e.Level == LogLevel.Warning && e.Message.Contains("ignoring unusable cached graph", StringComparison.Ordinal));
    }

    [Fact]
    public void Cached_graphs_are_verified_swapped_ones_are_rebuilt()
    {
        // Before: a cached file was loaded unchecked, so the decoder's optimized graph under the
        // encoder's name was used as the encoder (bypassing the manifest's SHA-256).
        using var cache = new TempFolder();
        var options = TestModels.CpuOptions();
        options = options with { OptimizedModelCacheDirectory = cache.Path };
        float[] expected;
        using (var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options))
        {
            expected = model.Reconstruct(Image).Output;
        }

        var encoder = Directory.GetFiles(cache.Path, "encoder-*").Single();
        var decoder = Directory.GetFiles(cache.Path, "decoder-*").Single();
        var encoderBytes = File.ReadAllBytes(encoder);
        File.WriteAllBytes(encoder, File.ReadAllBytes(decoder));
        File.WriteAllBytes(decoder, encoderBytes);

        var log = new ListLogger();
        options = options with { Logger = log };
        using (var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options))
        {
            Assert.Equal(expected, model.Reconstruct(Image).Output);
        }

        var warnings = log.Events.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.All(warnings, w => Assert.Contains("ignoring unusable cached graph", w, StringComparison.Ordinal));
        Assert.All(warnings, w => Assert.Contains("made from a graph with SHA-256", w, StringComparison.Ordinal));

        // Rebuilt files are good again: a third load logs nothing.
        var quiet = new ListLogger();
        options = options with { Logger = quiet };
        using (Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options))
        {
        }

        Assert.DoesNotContain(quiet.Events, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task A_fifo_under_a_cache_name_is_rebuilt_without_reading_it()
    {
        // Before: the cache file was read with File.ReadAllBytes, which reads a FIFO until its writer
        // closes: a load (and the service's reload of a watched folder) hung for good.
        using var cache = new TempFolder();
        var options = TestModels.CpuOptions() with { OptimizedModelCacheDirectory = cache.Path };
        using (Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options))
        {
        }

        var files = Directory.GetFiles(cache.Path).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, files.Length);
        var fifos = new List<FilledFifo>();
        try
        {
            foreach (var file in files)
            {
                var bytes = File.ReadAllBytes(file);
                File.Delete(file);
                fifos.Add(new FilledFifo(file, bytes[..Math.Min(bytes.Length, 32 * 1024)]));
            }

            var waiting = fifos.Select(f => f.Waiting).ToArray();
            var log = new ListLogger();
            var load = await Hang.Returned(Task.Run(() => Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options with { Logger = log })), "a load with FIFOs in its graph cache");
            using (var model = await load)
            {
                Assert.Equal(model.LatentDim, model.Encode(Image).Length);
            }

            Assert.Equal(waiting, fifos.Select(f => f.Waiting).ToArray()); // not a byte read from either
            Assert.Equal(2, log.Events.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("ignoring unusable cached graph", StringComparison.Ordinal)));
        }
        finally
        {
            fifos.ForEach(f => f.Dispose());
        }

        // Each FIFO was replaced by a rebuilt cache file (a FIFO has no length).
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 0, f));
    }

    [Fact]
    public void A_cached_graph_with_modified_bytes_is_rebuilt()
    {
        using var cache = new TempFolder();
        var options = TestModels.CpuOptions();
        options = options with { OptimizedModelCacheDirectory = cache.Path };
        using (Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options))
        {
        }

        var encoder = Directory.GetFiles(cache.Path, "encoder-*").Single();
        var bytes = File.ReadAllBytes(encoder);
        bytes[^5] ^= 0x01;
        File.WriteAllBytes(encoder, bytes);

        var log = new ListLogger();
        options = options with { Logger = log };
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options);
        var warning = Assert.Single(log.Events, e => e.Level == LogLevel.Warning);
        Assert.Contains(Path.GetFileName(encoder), warning.Message, StringComparison.Ordinal);
        Assert.Contains("(modified or truncated)", warning.Message, StringComparison.Ordinal);
        Assert.NotEqual(bytes, File.ReadAllBytes(encoder));
    }

    [Fact]
    public void The_cache_key_names_the_onnx_runtime_version_and_the_cpu()
    {
        using var cache = new TempFolder();
        var options = TestModels.CpuOptions();
        options = options with { OptimizedModelCacheDirectory = cache.Path };
        using (Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options))
        {
        }

        var version = OrtEnv.Instance().GetVersionString();
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
        Assert.All(Directory.GetFiles(cache.Path), f => Assert.Matches($@"-ort{System.Text.RegularExpressions.Regex.Escape(version)}-cpu[0-9a-f]{{12}}\.ortcache$", Path.GetFileName(f)));
    }

    [Fact]
    public void Every_optimization_level_gives_the_same_numbers()
    {
        float[]? reference = null;
        foreach (var level in new[] { GraphOptimization.None, GraphOptimization.Basic, GraphOptimization.All })
        {
            var options = TestModels.CpuOptions();
            options = options with { OptimizationLevel = level };
            using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options);
            var latent = model.Encode(Image);
            reference ??= latent;
            for (var i = 0; i < latent.Length; i++)
            {
                Assert.Equal(reference[i], latent[i], 4);
            }
        }
    }

    [Fact]
    public void Image_limits_reach_the_converter()
    {
        var options = TestModels.CpuOptions();
        options = options with { ImageLimits = new ImageLimits { MaxPixels = 100 } };
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), options);
        var error = Assert.Throws<ImageLoadException>(() => model.Encode(Image));
        Assert.Equal(ImageLoadError.TooLarge, error.Error);
        Assert.Contains("28x28 pixels exceeds the limit of 100 pixels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_are_argument_errors()
    {
        var folder = TestModels.Folder(TestModels.FashionAe);
        Assert.Throws<ArgumentOutOfRangeException>(() => Autoencoder.Load(folder, new AutoencoderOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Autoencoder.Load(folder, new AutoencoderOptions { IntraOpThreads = -1 }));
        Assert.Throws<ArgumentException>(() => Autoencoder.Load(" "));
    }

    [Fact]
    public void A_batch_size_whose_buffer_cannot_exist_is_refused_at_load()
    {
        // 28x28 = 784 floats per image: one batch tensor holds at most 2^28 floats (RunLimits), 342392 images.
        var folder = TestModels.Folder(TestModels.FashionAe);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Autoencoder.Load(folder, new AutoencoderOptions { Device = Device.Cpu, BatchSize = 3_000_000 }));
        Assert.Contains("A batch of 3000000 images of 1x28x28 is 2352000000 floats; one batch may hold at most 268435456 (342392 images of this model)", error.Message, StringComparison.Ordinal);
        Assert.Equal(342_392, RunLimits.LargestBatch(784));

        using var largest = Autoencoder.Load(folder, new AutoencoderOptions { Device = Device.Cpu, BatchSize = 342_392 });
        Assert.Equal(342_392, largest.BatchSize);
    }

    [Fact]
    public void Manifest_classes_and_metrics_are_typed()
    {
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), TestModels.CpuOptions());
        Assert.Equal(10, model.Classes.Count);
        Assert.All(model.Classes, c => Assert.Equal(model.LatentDim, c.Centroid.Count));
        Assert.Contains(model.Classes, c => c.Label == "Ankle boot");
        Assert.NotNull(model.Manifest.Metrics!.Mse);
        Assert.NotNull(model.Manifest.Metrics.PcaMse);
        Assert.True(model.Manifest.Training.HasValue);

        // Centroids are usable with the latent math: the nearest class centroid of a fixture image.
        var latent = model.Encode(Image);
        var centroids = model.Classes.Select(c => c.Centroid.ToArray()).ToArray();
        var nearest = LatentMath.Nearest(latent, centroids, 1);

        // The index must be the centroid at the smallest Euclidean distance, computed here independently.
        var distances = centroids.Select(c => Math.Sqrt(c.Select((v, i) => (double)(v - latent[i]) * (v - latent[i])).Sum())).ToArray();
        var expected = Array.IndexOf(distances, distances.Min());
        Assert.Equal(expected, nearest[0].Index);
        Assert.Equal(distances[expected], nearest[0].Distance, 4);
        Assert.True(distances.Count(d => d == distances.Min()) == 1, "the fixture must have one nearest centroid for this test to mean something");
    }
}
