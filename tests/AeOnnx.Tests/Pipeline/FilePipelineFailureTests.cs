using AeOnnx.Imaging;
using AeOnnx.Pipeline;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Pipeline;

/// <summary>
/// What ends the folder pipeline and what does not: a file's own problem is a per-file result; any
/// other exception (out of memory, a bug) ends the enumeration with that exception, never a hang and
/// never a file reported as corrupt; an oversized batch is refused before any work.
/// </summary>
[Collection(SharedModelsCollection.Name)]
public sealed class FilePipelineFailureTests(SharedModels models)
{
    [Fact]
    public async Task Out_of_memory_while_decoding_ends_the_pipeline_not_as_a_corrupt_file()
    {
        var model = models.Get(TestModels.FashionAe);
        var good = AutoencoderTests.FixturePaths(TestModels.FashionAe);
        var paths = Enumerable.Range(0, 40).Select(i => i == 17 ? "exhausted.png" : good[i % good.Length]).ToList();
        void Load(string path, Span<float> destination)
        {
            if (path == "exhausted.png")
            {
                throw new OutOfMemoryException("simulated: no memory for this image's pixels");
            }

            model.Images.LoadTensor(path, destination);
        }

        var pipeline = new FilePipeline(model, new PipelineOptions { BatchSize = 8, DecodeWorkers = 2 }, reconstruct: false, Load);
        var seen = new List<PipelineResult>();
        var run = await Hang.Returned(
            Task.Run(async () =>
            {
                await foreach (var result in pipeline.RunAsync(paths, CancellationToken.None))
                {
                    seen.Add(result);
                }
            }),
            "the pipeline");
        var error = await Assert.ThrowsAsync<OutOfMemoryException>(() => run);
        Assert.Contains("simulated", error.Message, StringComparison.Ordinal);
        Assert.All(seen, r => Assert.True(r.Succeeded, $"{r.Path}: {r.Failure?.Message}"));
        Assert.True(seen.Count <= 17, $"{seen.Count} results before the fatal file");
    }

    [Fact]
    public async Task A_file_problem_stays_a_per_file_result()
    {
        var model = models.Get(TestModels.FashionAe);
        var good = AutoencoderTests.FixturePaths(TestModels.FashionAe);
        var paths = new[] { good[0], "missing-file.png", good[1] };
        var results = new List<PipelineResult>();
        await foreach (var result in model.EncodeFilesAsync(paths, new PipelineOptions { BatchSize = 2 }))
        {
            results.Add(result);
        }

        Assert.Equal(3, results.Count);
        Assert.Equal(ImageLoadError.NotFound, results[1].Failure!.Error);
        Assert.True(results[0].Succeeded && results[2].Succeeded);
    }

    [Theory]
    [InlineData(2_000_000_000)]
    [InlineData(2_739_147)] // 2739147 × 784 = 2^31 + 52: the int overflow that used to hang the pipeline
    [InlineData(342_393)]   // just over 2^28 floats
    public void Oversized_batch_is_refused_before_any_work(int batchSize)
    {
        var model = models.Get(TestModels.FashionAe);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodeFilesAsync(["a.png"], new PipelineOptions { BatchSize = batchSize }));
        Assert.Contains($"A batch of {batchSize} images of 1x28x28", error.Message, StringComparison.Ordinal);
        Assert.Contains("at most 268435456 (342392 images of this model)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Largest_allowed_batch_size_runs()
    {
        // A large batch (50 MB tensor) with fewer files than one batch: one partial batch, complete.
        var model = models.Get(TestModels.TinyRgb);
        var good = AutoencoderTests.FixturePaths(TestModels.TinyRgb);
        var results = new List<PipelineResult>();
        await foreach (var result in model.EncodeFilesAsync(good, new PipelineOptions { BatchSize = 4096, MaxPendingImages = 16 }))
        {
            results.Add(result);
        }

        Assert.Equal(good.Length, results.Count(r => r.Succeeded));
    }

    [Fact]
    public void Too_many_decode_workers_are_refused()
    {
        var model = models.Get(TestModels.FashionAe);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.EncodeFilesAsync(["a.png"], new PipelineOptions { DecodeWorkers = 30000 }));
        Assert.Contains("the most is 256", error.Message, StringComparison.Ordinal);
    }
}
