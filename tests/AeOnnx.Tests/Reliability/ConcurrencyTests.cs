using System.Collections.Concurrent;
using System.Diagnostics;
using AeOnnx.Tests.Support;
using Xunit.Abstractions;

namespace AeOnnx.Tests.Reliability;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial (measures process-wide handles and memory)";
}

/// <summary>
/// The library under 16+ threads, and <see cref="AutoencoderHost.Swap(string)"/> between two model
/// folders while 16 threads encode: no exception, every result bit-identical to a sequential run
/// of the model that served it, swapped-out models disposed, handles and memory flat.
/// AEONNX_STRESS=1 runs ten times more swaps.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ConcurrencyTests(ITestOutputHelper output) : IDisposable
{
    private const int Threads = 16;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static bool Stress => Environment.GetEnvironmentVariable("AEONNX_STRESS") is "1" or "true";

    [Fact]
    public void Sixteen_threads_get_the_sequential_results()
    {
        var images = Images(32);
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), TestModels.CpuOptions(batchSize: 8));
        var expected = images.Select(model.Encode).ToArray();
        var batchExpected = model.EncodeBatch(images);
        var reconstructed = model.Reconstruct(images[0]).Output;

        var failures = new ConcurrentBag<string>();
        Parallel.For(0, Threads * 8, new ParallelOptions { MaxDegreeOfParallelism = Threads }, i =>
        {
            var k = i % images.Count;
            if (!model.Encode(images[k]).AsSpan().SequenceEqual(expected[k]))
            {
                failures.Add($"encode {k}");
            }

            if (i % 8 == 0 && !model.EncodeBatch(images).Zip(batchExpected).All(p => p.First.AsSpan().SequenceEqual(p.Second)))
            {
                failures.Add("batch");
            }

            if (i % 5 == 0 && !model.Reconstruct(images[0]).Output.AsSpan().SequenceEqual(reconstructed))
            {
                failures.Add("reconstruct");
            }
        });
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Hot_swap_under_load_serves_whole_models_and_leaks_nothing()
    {
        var folderA = TestModels.Folder(TestModels.FashionAe);
        var folderB = _temp.Path;
        foreach (var file in new[] { "manifest.json", "encoder.onnx", "decoder.onnx" })
        {
            File.Copy(Path.Combine(folderA, file), Path.Combine(folderB, file));
        }

        // B: the same architecture with other weights (a "retrained" model).
        var encoder = Path.Combine(folderB, "encoder.onnx");
        File.WriteAllBytes(encoder, OnnxSurgery.Scale(File.ReadAllBytes(encoder), "encoder.mean.weight", 1.5f));
        TestModels.Rehash(folderB);

        var images = Images(8);
        var expected = new Dictionary<string, float[][]>();
        foreach (var folder in new[] { folderA, folderB })
        {
            using var reference = Autoencoder.Load(folder, TestModels.CpuOptions());
            expected[reference.Folder] = images.Select(reference.Encode).ToArray();
        }

        Assert.NotEqual(expected[folderA][0], expected[folderB][0]);
        using var host = AutoencoderHost.Load(folderA, TestModels.CpuOptions());
        var swaps = Stress ? 300 : 30;
        var served = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                for (var i = t; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var lease = host.Acquire();
                        var k = i % images.Count;
                        var latent = lease.Model.Encode(images[k]);
                        served.AddOrUpdate(lease.Model.Folder, 1, (_, n) => n + 1);
                        if (!latent.AsSpan().SequenceEqual(expected[lease.Model.Folder][k]))
                        {
                            failures.Add($"thread {t}: image {k} differs from {lease.Model.Folder}'s sequential result");
                        }
                    }
                    catch (Exception ex)
                    {
                        failures.Add($"thread {t}: {ex}");
                    }
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();

        var previous = new List<Autoencoder>();
        (int Fds, long Bytes) warm = default;
        var clock = Stopwatch.StartNew();
        for (var s = 0; s < swaps; s++)
        {
            // Progress, not time: the current model serves a call before it is swapped out, so both
            // folders are served however the workers are scheduled on a loaded machine.
            var before = served.GetValueOrDefault(host.Current.Folder);
            while (served.GetValueOrDefault(host.Current.Folder) == before && failures.IsEmpty)
            {
                await Task.Delay(1);
            }

            previous.Add(host.Current);
            host.Swap(s % 2 == 0 ? folderB : folderA);
            if (s == 9)
            {
                warm = Measure();
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        var end = Measure();
        output.WriteLine($"{swaps} swaps in {clock.Elapsed.TotalSeconds:0.0} s; served {string.Join(", ", served.Select(p => $"{Path.GetFileName(p.Key)}: {p.Value}"))}");
        output.WriteLine($"after 10 swaps: {warm.Fds} fds, {warm.Bytes >> 20} MiB; after {swaps}: {end.Fds} fds, {end.Bytes >> 20} MiB");

        Assert.Empty(failures);
        Assert.Equal(swaps, host.Generation);
        Assert.Equal(2, served.Count);

        // Every swapped-out model was released once its last lease ended.
        Assert.All(previous, old => Assert.Throws<ObjectDisposedException>(() => old.Encode(images[0])));
        Assert.InRange(end.Fds, 0, warm.Fds + 8);

        // The working set is printed above, not asserted: it follows the native allocator's and the
        // GC's choices on a loaded machine, while the release of each model is asserted directly.
    }

    private List<string> Images(int count) => Enumerable.Range(0, count).Select(i =>
    {
        var path = _temp.File($"image-{i}.png");
        File.WriteAllBytes(path, BadImageCorpus.GoodPng(100 + i));
        return path;
    }).ToList();

    private static (int Fds, long Bytes) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (Directory.GetFiles("/proc/self/fd").Length, process.WorkingSet64);
    }
}
