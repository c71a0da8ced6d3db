using AeOnnx.Imaging;
using AeOnnx.Pipeline;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Pipeline;

/// <summary>The streaming folder pipeline: same numbers as direct calls, in order, per-file errors, bounded and stoppable.</summary>
[Collection(SharedModelsCollection.Name)]
public sealed class FilePipelineTests(SharedModels models) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [MemberData(nameof(AutoencoderTests.ShippedModels), MemberType = typeof(AutoencoderTests))]
    public async Task Results_equal_direct_calls_in_input_order(string name)
    {
        var model = models.Get(name);
        var fixtures = AutoencoderTests.FixturePaths(name);
        var paths = Enumerable.Range(0, 45).Select(i => fixtures[i % fixtures.Length]).ToList();
        var direct = fixtures.ToDictionary(p => p, model.Encode);

        var results = new List<PipelineResult>();
        await foreach (var result in model.EncodeFilesAsync(paths, new PipelineOptions { DecodeWorkers = 3, BatchSize = 7 }))
        {
            results.Add(result);
        }

        Assert.Equal(Enumerable.Range(0, 45), results.Select(r => r.Index));
        Assert.Equal(paths, results.Select(r => r.Path));
        foreach (var result in results)
        {
            Assert.True(result.Succeeded);
            Assert.Null(result.Reconstruction);
            Assert.Equal(model.IsVariational, result.LogVariance is not null);
            AssertClose(direct[result.Path], result.Latent!);
        }
    }

    [Fact]
    public async Task Reconstruction_results_carry_output_and_error()
    {
        var model = models.Get(TestModels.FashionAe);
        var paths = AutoencoderTests.FixturePaths(TestModels.FashionAe);
        var results = await Collect(model.ReconstructFilesAsync(paths, new PipelineOptions { BatchSize = 3 }));
        Assert.Equal(paths.Length, results.Count);
        foreach (var result in results)
        {
            var direct = model.Reconstruct(result.Path);
            AssertClose(direct.Output, result.Reconstruction!);
            Assert.Equal(direct.Error.Mse, result.Error!.Value.Mse, 7);
        }
    }

    [Fact]
    public async Task Concurrent_inference_workers_keep_input_order_with_bad_files_and_reconstructions()
    {
        var model = models.Get(TestModels.FashionVae);
        var good = AutoencoderTests.FixturePaths(TestModels.FashionVae);
        var corrupt = FirstHalfOf(good[0], "half.png");

        // 61 inputs, every 5th corrupt, in batches of 3 run by 4 workers at once.
        var paths = Enumerable.Range(0, 61).Select(i => i % 5 == 2 ? corrupt : good[i % good.Length]).ToList();
        var results = await Collect(model.ReconstructFilesAsync(paths, new PipelineOptions { BatchSize = 3, DecodeWorkers = 2, InferenceWorkers = 4 }));

        Assert.Equal(Enumerable.Range(0, 61), results.Select(r => r.Index));
        foreach (var result in results)
        {
            if (result.Index % 5 == 2)
            {
                Assert.Equal(ImageLoadError.Corrupt, result.Failure!.Error);
                continue;
            }

            var direct = model.Reconstruct(result.Path);
            AssertClose(model.Encode(result.Path), result.Latent!);
            AssertClose(direct.Output, result.Reconstruction!);
            Assert.NotNull(result.LogVariance);
        }
    }

    [Fact]
    public void Inference_workers_times_intra_op_threads_make_the_cores_and_a_bad_count_is_refused()
    {
        var cores = Environment.ProcessorCount;
        using var single = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });
        using var all = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), new AutoencoderOptions { Device = Device.Cpu });
        Assert.Equal(cores, new FilePipeline(single, new PipelineOptions(), reconstruct: false).InferenceWorkers);
        Assert.Equal(1, new FilePipeline(all, new PipelineOptions(), reconstruct: false).InferenceWorkers);
        Assert.Equal(3, new FilePipeline(all, new PipelineOptions { InferenceWorkers = 3 }, reconstruct: false).InferenceWorkers);

        // 65536 images of 784 floats a batch: 5 such batches fit the 2^28-float budget, so 50 workers become 5.
        Assert.Equal(5, new FilePipeline(single, new PipelineOptions { InferenceWorkers = 50, BatchSize = 65536 }, reconstruct: false).InferenceWorkers);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FilePipeline(single, new PipelineOptions { InferenceWorkers = 257 }, reconstruct: false));
        Assert.Contains("InferenceWorkers is 257; the most is 256.", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FilePipeline(single, new PipelineOptions { InferenceWorkers = -1 }, reconstruct: false));
    }

    [Fact]
    public async Task Bad_files_give_per_file_errors_without_stopping()
    {
        var model = models.Get(TestModels.FashionAe);
        var good = AutoencoderTests.FixturePaths(TestModels.FashionAe);
        var corrupt = FirstHalfOf(good[0], "corrupt.png");
        var text = _temp.File("readme.png");
        File.WriteAllText(text, "not an image");
        var missing = _temp.File("missing.png");
        string[] paths = [good[0], corrupt, good[1], missing, text, good[2]];

        var results = await Collect(model.EncodeFilesAsync(paths, new PipelineOptions { BatchSize = 2, DecodeWorkers = 2 }));

        Assert.Equal(Enumerable.Range(0, 6), results.Select(r => r.Index));
        Assert.Equal(ImageLoadError.Corrupt, results[1].Failure!.Error);
        Assert.Contains("corrupt.png", results[1].Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(ImageLoadError.NotFound, results[3].Failure!.Error);
        Assert.Equal(ImageLoadError.UnsupportedFormat, results[4].Failure!.Error);
        Assert.All(new[] { results[1], results[3], results[4] }, r => Assert.Null(r.Latent));
        foreach (var i in new[] { 0, 2, 5 })
        {
            Assert.True(results[i].Succeeded);
            AssertClose(model.Encode(paths[i]), results[i].Latent!);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Memory_is_bounded_and_an_early_stop_ends_the_pipeline(int workers)
    {
        var model = models.Get(TestModels.FashionAe);
        var path = AutoencoderTests.FixturePaths(TestModels.FashionAe)[0];
        var pulled = 0;
        var released = false;
        IEnumerable<string> Endless()
        {
            try
            {
                while (true)
                {
                    Interlocked.Increment(ref pulled);
                    yield return path;
                }
            }
            finally
            {
                Volatile.Write(ref released, true);
            }
        }

        // The pipeline is full when every stage waits for room in its bounded queue: from then on
        // nothing moves until the consumer reads. A stage whose queue had no bound would never wait.
        var waiting = new HashSet<string>();
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watching = false;
        void Waiting(string stage, bool waits)
        {
            lock (waiting)
            {
                _ = waits ? waiting.Add(stage) : waiting.Remove(stage);
                if (watching && waiting.Count == 3)
                {
                    full.TrySetResult();
                }
            }
        }

        var options = new PipelineOptions { BatchSize = 4, DecodeWorkers = 2, MaxPendingImages = 8, InferenceWorkers = workers };
        var pipeline = new FilePipeline(model, options, reconstruct: false) { Waiting = Waiting };
        var consumed = 0;
        await foreach (var result in pipeline.RunAsync(Endless(), CancellationToken.None))
        {
            Assert.Equal(consumed, result.Index);
            consumed++;
            if (consumed == 30)
            {
                // A slow consumer: the producer must wait, not run ahead. Wait for the pipeline to fill
                // (a bound far above any run turns a stage that never waits into a failure, not a hang).
                lock (waiting)
                {
                    watching = true;
                    if (waiting.Count == 3)
                    {
                        full.TrySetResult();
                    }
                }

                await full.Task.WaitAsync(TimeSpan.FromMinutes(2));
                var ahead = Volatile.Read(ref pulled) - consumed;

                // Pending queue + decoding + batch being built + one waiting for a worker + one per
                // worker (running or done) + one being emitted + results channel (2 batches).
                Assert.InRange(ahead, 0, 8 + 2 + 4 + 4 + (workers * 4) + 4 + (2 * 4));
            }

            if (consumed == 40)
            {
                break;
            }
        }

        // The early stop ended the pipeline before the loop returned: the source was released, so
        // nothing pulls from it any more.
        Assert.True(Volatile.Read(ref released));
    }

    [Fact]
    public async Task Cancellation_stops_the_enumeration()
    {
        var model = models.Get(TestModels.FashionAe);
        var path = AutoencoderTests.FixturePaths(TestModels.FashionAe)[0];
        using var cts = new CancellationTokenSource();
        var (seen, pulled, pulledAtCancel) = (0, 0, 0);
        IEnumerable<string> Counted()
        {
            for (var i = 0; i < 100_000; i++)
            {
                Interlocked.Increment(ref pulled);
                yield return path;
            }
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in model.EncodeFilesAsync(Counted(), null, cts.Token))
            {
                if (++seen == 5)
                {
                    pulledAtCancel = Volatile.Read(ref pulled);
                    await cts.CancelAsync();
                }
            }
        });

        // Behaviour, not timing: results already under way may still arrive, but the stream ends
        // with the cancellation and the source is not read to its end.
        Assert.InRange(seen, 5, Volatile.Read(ref pulled));
        Assert.InRange(pulledAtCancel, 5, 100_000);
        Assert.True(Volatile.Read(ref pulled) < 100_000, $"the whole source was read ({pulled}) after a cancel at 5 results");
    }

    [Fact]
    public async Task A_model_disposed_mid_stream_ends_the_stream_with_object_disposed()
    {
        var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), TestModels.CpuOptions());
        var path = AutoencoderTests.FixturePaths(TestModels.FashionAe)[0];
        var (seen, pulled, pulledAtDispose) = (0, 0, 0);
        IEnumerable<string> Counted()
        {
            for (var i = 0; i < 10_000; i++)
            {
                Interlocked.Increment(ref pulled);
                yield return path;
            }
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
        {
            await foreach (var _ in model.EncodeFilesAsync(Counted(), new PipelineOptions { BatchSize = 4 }))
            {
                if (++seen == 3)
                {
                    pulledAtDispose = Volatile.Read(ref pulled);
                    model.Dispose();
                }
            }
        });

        // Results already under way may still arrive; the stream then ends and the rest never run.
        Assert.InRange(seen, 3, Volatile.Read(ref pulled));
        Assert.InRange(pulledAtDispose, 3, 10_000);
        Assert.True(Volatile.Read(ref pulled) < 10_000, $"the whole source was read ({pulled}) after a dispose at 3 results");
    }

    [Fact]
    public async Task Empty_input_gives_no_results()
    {
        var model = models.Get(TestModels.FashionAe);
        Assert.Empty(await Collect(model.EncodeFilesAsync([])));
    }

    /// <summary>A truncated copy of an image: a corrupt file.</summary>
    private string FirstHalfOf(string image, string name)
    {
        var bytes = File.ReadAllBytes(image);
        var path = _temp.File(name);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        return path;
    }

    private static async Task<List<PipelineResult>> Collect(IAsyncEnumerable<PipelineResult> source)
    {
        var list = new List<PipelineResult>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
        }
    }
}
