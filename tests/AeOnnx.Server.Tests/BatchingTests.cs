using AeOnnx.Server.Batching;
using AeOnnx.Server.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>The dynamic batcher on a real model: coalescing, per-request cancellation, and results equal to unbatched runs.</summary>
public sealed class BatchingTests : IDisposable
{
    private readonly Autoencoder _model = Autoencoder.Load(Repo.Model("fashion-mnist-ae"), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });

    [Fact]
    public async Task Concurrent_rows_run_as_one_batch_with_the_same_results_as_one_by_one()
    {
        var metrics = new ServerMetrics();
        await using var batcher = new InferenceBatcher(32, TimeSpan.FromMilliseconds(50), 100, metrics);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batcher.Gate = gate;
        var images = Repo.Samples(8).Select(p => _model.Images.LoadTensor(p)).ToArray();

        var requests = images.Select(image => Task.Run(() => batcher.RunAsync(_model, BatchOperation.Encode, [image], CancellationToken.None))).ToArray();
        await ErrorStatusTests.WaitUntilAsync(() => batcher.Pending == 8);
        gate.SetResult();
        var results = await Task.WhenAll(requests);

        var histogram = metrics.BatchSize.WithLabels("encode");
        Assert.Equal(1, histogram.Count);
        Assert.Equal(8, histogram.Sum);
        for (var i = 0; i < images.Length; i++)
        {
            Assertions.Close(_model.Encode(images[i]), results[i][0]);
        }
    }

    [Fact]
    public async Task Several_run_workers_answer_every_row_with_its_own_result()
    {
        var metrics = new ServerMetrics();
        await using var batcher = new InferenceBatcher(4, TimeSpan.Zero, 10_000, metrics, workers: 3);
        Assert.Equal(3, batcher.Workers);
        var images = Repo.Samples(6).Select(p => _model.Images.LoadTensor(p)).ToArray();
        var expected = images.Select(i => _model.Encode(i)).ToArray();

        // 600 single-row requests from 24 concurrent callers, mixed with decodes of the latents.
        var requests = Enumerable.Range(0, 24).Select(client => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                var k = (client + i) % images.Length;
                var latent = (await batcher.RunAsync(_model, BatchOperation.Encode, [images[k]], CancellationToken.None))[0];
                Assertions.Close(expected[k], latent);
                if (i % 5 == 0)
                {
                    var decoded = (await batcher.RunAsync(_model, BatchOperation.Decode, [latent], CancellationToken.None))[0];
                    Assertions.Close(_model.Decode(latent), decoded);
                }
            }
        })).ToArray();
        await Task.WhenAll(requests);

        Assert.Equal(600, metrics.BatchSize.WithLabels("encode").Sum);
        Assert.Equal(120, metrics.BatchSize.WithLabels("decode").Sum);
        Assert.Equal(0, batcher.Pending);
    }

    [Fact]
    public void Run_workers_default_to_cores_over_intra_op_threads()
    {
        var cores = Environment.ProcessorCount;
        Assert.Equal(1, new ServerOptions().EffectiveInferenceWorkers);
        Assert.Equal(cores, new ServerOptions { ModelOptions = new AutoencoderOptions { IntraOpThreads = 1 } }.EffectiveInferenceWorkers);
        Assert.Equal(5, new ServerOptions { InferenceWorkers = 5 }.EffectiveInferenceWorkers);
        var e = Assert.Throws<ArgumentException>(() => new ServerOptions { ModelPath = "m", InferenceWorkers = 300 }.Validate());
        Assert.Equal("InferenceWorkers must be 0..256, got 300.", e.Message);
    }

    [Fact]
    public async Task A_cancelled_request_is_dropped_before_its_batch_runs()
    {
        var metrics = new ServerMetrics();
        await using var batcher = new InferenceBatcher(32, TimeSpan.Zero, 100, metrics);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batcher.Gate = gate;
        var image = _model.Images.LoadTensor(Repo.Samples(1)[0]);
        using var cancel = new CancellationTokenSource();

        var cancelled = batcher.RunAsync(_model, BatchOperation.Encode, [image, image], cancel.Token);
        var kept = batcher.RunAsync(_model, BatchOperation.Decode, [new float[16]], CancellationToken.None);
        await cancel.CancelAsync();
        gate.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var decoded = (await kept)[0];
        Assert.Equal(_model.Decode(new float[16]), decoded);
        Assert.Equal(0, metrics.BatchSize.WithLabels("encode").Count);
        Assert.Equal(1, metrics.BatchSize.WithLabels("decode").Sum);
        Assert.Equal(0, batcher.Pending);
    }

    [Fact]
    public async Task Rows_of_different_models_never_share_a_run()
    {
        using var other = Autoencoder.Load(Repo.Model("tiny-rgb"), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });
        var metrics = new ServerMetrics();
        await using var batcher = new InferenceBatcher(32, TimeSpan.FromMilliseconds(20), 100, metrics);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batcher.Gate = gate;
        var path = Repo.Samples(1)[0];

        var a = batcher.RunAsync(_model, BatchOperation.Encode, [_model.Images.LoadTensor(path)], CancellationToken.None);
        var b = batcher.RunAsync(other, BatchOperation.Encode, [other.Images.LoadTensor(path)], CancellationToken.None);
        var c = batcher.RunAsync(_model, BatchOperation.Encode, [_model.Images.LoadTensor(path)], CancellationToken.None);
        gate.SetResult();

        Assertions.Close(_model.Encode(path), (await a)[0]);
        Assertions.Close(other.Encode(path), (await b)[0]);
        Assertions.Close(_model.Encode(path), (await c)[0]);
        Assert.Equal(2, metrics.BatchSize.WithLabels("encode").Count);
    }

    [Fact]
    public async Task A_full_queue_refuses_with_429()
    {
        await using var batcher = new InferenceBatcher(32, TimeSpan.Zero, 3, new ServerMetrics());
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batcher.Gate = gate;
        var image = _model.Images.LoadTensor(Repo.Samples(1)[0]);

        var first = batcher.RunAsync(_model, BatchOperation.Encode, [image, image], CancellationToken.None);
        var refusal = Assert.Throws<ApiException>(() => { _ = batcher.RunAsync(_model, BatchOperation.Encode, [image, image], CancellationToken.None); });
        Assert.Equal(429, refusal.Status);
        Assert.Equal("The inference queue is full (3 rows waiting); retry later.", refusal.Message);
        gate.SetResult();
        Assert.Equal(2, (await first).Length);
    }

    public void Dispose() => _model.Dispose();
}
