using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AeOnnx.Imaging;
using AeOnnx.Runtime;

namespace AeOnnx.Pipeline;

/// <summary>
/// The folder pipeline behind <see cref="AutoencoderBatchExtensions.EncodeFilesAsync"/>: a producer starts decode
/// tasks (at most DecodeWorkers at once) and queues them in input order on a bounded channel; a
/// batcher awaits them in that order, packs batches and starts an inference task per batch (at
/// most InferenceWorkers at once), queued in order again; an emitter awaits those in order and
/// emits the results. Every channel is bounded, so memory does not grow with the number of files,
/// and the stages overlap.
/// </summary>
internal sealed class FilePipeline
{
    private readonly Autoencoder _model;
    private readonly bool _reconstruct;
    private readonly int _workers;
    private readonly int _inferenceWorkers;
    private readonly int _batchSize;
    private readonly int _maxPending;
    private readonly TensorLoader _load;

    public FilePipeline(Autoencoder model, PipelineOptions options, bool reconstruct)
        : this(model, options, reconstruct, model.Images.LoadTensor)
    {
    }

    /// <summary>With the file loader given (tests use it to fail one file in a way files cannot).</summary>
    internal FilePipeline(Autoencoder model, PipelineOptions options, bool reconstruct, TensorLoader load)
    {
        _load = load;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.DecodeWorkers, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.BatchSize, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxPendingImages, nameof(options));
        RunLimits.CheckWorkers(options.DecodeWorkers, "DecodeWorkers", nameof(options));
        RunLimits.CheckWorkers(options.InferenceWorkers, "InferenceWorkers", nameof(options));

        _model = model;
        _reconstruct = reconstruct;
        _workers = options.DecodeWorkers;
        _batchSize = options.BatchSize > 0 ? options.BatchSize : model.BatchSize;
        RunLimits.CheckBatchSize(_batchSize, model.Manifest, nameof(options));
        var perItem = (long)Math.Max(model.PixelCount, model.LatentDim);
        var maxImages = RunLimits.LargestBatch(model.Manifest);

        // Batches in flight at once share one budget too: many workers on big images with big
        // batches would otherwise hold workers × 1 GiB.
        var workers = options.InferenceWorkers > 0 ? options.InferenceWorkers : RunWorkers.For(model);
        _inferenceWorkers = RunWorkers.WithinBudget(workers, _batchSize, perItem);

        // Pending images each hold one decoded tensor: bounded by the same budget as a batch.
        var pending = options.MaxPendingImages > 0 ? (long)options.MaxPendingImages : 2L * _batchSize;
        _maxPending = (int)Math.Clamp(pending, 1, Math.Max(maxImages, 1));
    }

    /// <summary>
    /// Told when a stage starts (true) and stops (false) waiting for room in the bounded queue it writes
    /// ("pending", "batches", "results"). Tests see the pipeline full through it: once all three wait,
    /// nothing moves until the consumer reads. Null in use (the writes are then exactly as without it).
    /// </summary>
    internal Action<string, bool>? Waiting { get; init; }

    /// <summary>Batches in flight at once: workers × intra-op threads = the cores on CPU; one on a GPU.</summary>
    internal int InferenceWorkers => _inferenceWorkers;

    public async IAsyncEnumerable<PipelineResult> RunAsync(IEnumerable<string> paths, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cts.Token;
        var pending = Channel.CreateBounded<Task<DecodedImage>>(new BoundedChannelOptions(_maxPending) { SingleReader = true, SingleWriter = true });
        var batches = Channel.CreateBounded<Task<Batch>>(new BoundedChannelOptions(_inferenceWorkers) { SingleReader = true, SingleWriter = true });
        var results = Channel.CreateBounded<PipelineResult>(new BoundedChannelOptions((int)Math.Min(2L * _batchSize, int.MaxValue)) { SingleReader = true, SingleWriter = true });

        var stages = new[]
        {
            Task.Run(() => ProduceAsync(paths, pending.Writer, token), CancellationToken.None),
            Task.Run(() => BatchAsync(pending.Reader, batches.Writer, token), CancellationToken.None),
            Task.Run(() => EmitAsync(batches.Reader, results.Writer, token), CancellationToken.None),
        };

        try
        {
            await foreach (var result in results.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                yield return result;
            }

            await Task.WhenAll(stages).ConfigureAwait(false);
        }
        finally
        {
            // The consumer may stop early (break, exception, cancellation): stop the stages and
            // wait for them, so no decode or inference outlives the enumeration.
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(stages).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already surfaced through the results channel, or a consequence of cancelling.
            }
        }
    }

    private async Task ProduceAsync(IEnumerable<string> paths, ChannelWriter<Task<DecodedImage>> writer, CancellationToken token)
    {
        using var gate = new SemaphoreSlim(_workers);
        var decodes = new List<Task>();
        try
        {
            var index = 0;
            foreach (var path in paths)
            {
                await gate.WaitAsync(token).ConfigureAwait(false);
                var i = index++;
                var task = Task.Run(
                    () =>
                    {
                        try
                        {
                            return Decode(i, path);
                        }
                        finally
                        {
                            gate.Release();
                        }
                    },
                    CancellationToken.None);
                await WriteAsync(writer, task, "pending", token).ConfigureAwait(false);
            }

            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
        }

        // The semaphore is disposed on return: wait for decodes still holding it.
        for (var spin = 0; spin < _workers; spin++)
        {
            await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private DecodedImage Decode(int index, string? path)
    {
        if (path is null)
        {
            return new DecodedImage(index, string.Empty, null, new ImageLoadException("<null>", ImageLoadError.NotFound, "the path is null."));
        }

        var pixels = ArrayPool<float>.Shared.Rent(_model.PixelCount);
        try
        {
            _load(path, pixels);
            return new DecodedImage(index, path, pixels, null);
        }
        catch (ImageLoadException failure)
        {
            // Only what is wrong with this file is a per-file outcome. Anything else (out of memory,
            // a disposed model, a bug) is not about the file: it faults this task, and the batcher
            // that awaits it ends the whole pipeline with that exception.
            ArrayPool<float>.Shared.Return(pixels);
            return new DecodedImage(index, path, null, failure);
        }
        catch
        {
            ArrayPool<float>.Shared.Return(pixels);
            throw;
        }
    }

    private async Task BatchAsync(ChannelReader<Task<DecodedImage>> reader, ChannelWriter<Task<Batch>> writer, CancellationToken token)
    {
        using var gate = new SemaphoreSlim(_inferenceWorkers);
        Batch? batch = null;
        try
        {
            // Inside the try: whatever fails here (even allocating the batch) must complete the
            // channel with the error, or the next stage would wait for batches forever.
            batch = new Batch(_batchSize, _model.PixelCount);
            await foreach (var task in reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                batch.Add(await task.ConfigureAwait(false));
                if (batch.Items.Count == _batchSize)
                {
                    var full = batch;
                    batch = null; // handed over: the emitter releases it
                    await WriteAsync(writer, await StartInferenceAsync(full, gate, token).ConfigureAwait(false), "batches", token).ConfigureAwait(false);
                    batch = new Batch(_batchSize, _model.PixelCount);
                }
            }

            if (batch.Items.Count > 0)
            {
                var last = batch;
                batch = null;
                await WriteAsync(writer, await StartInferenceAsync(last, gate, token).ConfigureAwait(false), "batches", token).ConfigureAwait(false);
            }
            else
            {
                batch.Release();
                batch = null;
            }

            writer.TryComplete();
        }
        catch (Exception ex)
        {
            batch?.Release();
            writer.TryComplete(ex);
        }

        // The semaphore is disposed on return: wait for inferences still holding it, so none
        // outlives the pipeline.
        for (var slot = 0; slot < _inferenceWorkers; slot++)
        {
            await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for a free inference slot, then runs the batch on the thread pool.</summary>
    private async Task<Task<Batch>> StartInferenceAsync(Batch batch, SemaphoreSlim gate, CancellationToken token)
    {
        try
        {
            await gate.WaitAsync(token).ConfigureAwait(false);
        }
        catch
        {
            batch.Release();
            throw;
        }

        return Task.Run(
            () =>
            {
                try
                {
                    Infer(batch);
                    return batch;
                }
                catch
                {
                    batch.Release();
                    throw;
                }
                finally
                {
                    gate.Release();
                }
            },
            CancellationToken.None);
    }

    private void Infer(Batch batch)
    {
        var n = batch.Loaded;
        if (n == 0)
        {
            return;
        }

        var d = _model.LatentDim;
        var p = _model.PixelCount;
        batch.Latents = new float[n * d];
        batch.LogVariances = _model.IsVariational ? new float[n * d] : null;
        _model.EncodeTensor(batch.Input.AsSpan(0, n * p), batch.Latents, batch.LogVariances ?? Span<float>.Empty);
        batch.Outputs = _reconstruct ? _model.DecodeTensor(batch.Latents) : null;
    }

    private async Task EmitAsync(ChannelReader<Task<Batch>> reader, ChannelWriter<PipelineResult> writer, CancellationToken token)
    {
        try
        {
            var d = _model.LatentDim;
            var p = _model.PixelCount;
            await foreach (var inference in reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                // A failed inference released its batch and faults here: the pipeline ends with its exception.
                var batch = await inference.ConfigureAwait(false);
                try
                {
                    var latents = batch.Latents;
                    var slot = 0;
                    foreach (var item in batch.Items)
                    {
                        if (item.Failure is not null)
                        {
                            await WriteAsync(writer, new PipelineResult { Index = item.Index, Path = item.Path, Failure = item.Failure }, "results", token).ConfigureAwait(false);
                            continue;
                        }

                        float[]? reconstruction = null;
                        float[]? input = null;
                        ReconstructionError? error = null;
                        if (batch.Outputs is { } outputs)
                        {
                            reconstruction = outputs.AsSpan(slot * p, p).ToArray();
                            input = batch.Input.AsSpan(slot * p, p).ToArray();
                            error = _model.MeasureError(input, reconstruction);
                        }

                        await WriteAsync(
                            writer,
                            new PipelineResult
                            {
                                Index = item.Index,
                                Path = item.Path,
                                Latent = latents.AsSpan(slot * d, d).ToArray(),
                                LogVariance = batch.LogVariances?.AsSpan(slot * d, d).ToArray(),
                                Input = input,
                                Reconstruction = reconstruction,
                                Error = error,
                            },
                            "results",
                            token).ConfigureAwait(false);
                        slot++;
                    }
                }
                finally
                {
                    batch.Release();
                }
            }

            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
        }
    }

    private ValueTask WriteAsync<T>(ChannelWriter<T> writer, T item, string stage, CancellationToken token)
    {
        if (Waiting is not { } waiting)
        {
            return writer.WriteAsync(item, token);
        }

        return writer.TryWrite(item) ? ValueTask.CompletedTask : WaitThenWriteAsync(writer, item, stage, waiting, token);
    }

    private static async ValueTask WaitThenWriteAsync<T>(ChannelWriter<T> writer, T item, string stage, Action<string, bool> waiting, CancellationToken token)
    {
        waiting(stage, true);
        try
        {
            await writer.WriteAsync(item, token).ConfigureAwait(false);
        }
        finally
        {
            waiting(stage, false);
        }
    }

    /// <summary>Loads one file into a tensor; throws <see cref="ImageLoadException"/> for what is wrong with the file.</summary>
    internal delegate void TensorLoader(string path, Span<float> destination);

    private sealed record DecodedImage(int Index, string Path, float[]? Pixels, ImageLoadException? Failure);

    /// <summary>Items in input order; the successfully decoded ones packed densely into one pooled tensor.</summary>
    private sealed class Batch(int capacity, int pixelCount)
    {
        public List<DecodedImage> Items { get; } = new(capacity);

        public float[] Input { get; } = ArrayPool<float>.Shared.Rent(capacity * pixelCount);

        public int Loaded { get; private set; }

        /// <summary>The encoder's output for the loaded images, once inferred (empty when none loaded).</summary>
        public float[] Latents { get; set; } = [];

        public float[]? LogVariances { get; set; }

        public float[]? Outputs { get; set; }

        public void Add(DecodedImage image)
        {
            if (image.Pixels is not null)
            {
                image.Pixels.AsSpan(0, pixelCount).CopyTo(Input.AsSpan(Loaded * pixelCount, pixelCount));
                ArrayPool<float>.Shared.Return(image.Pixels);
                Loaded++;
            }

            Items.Add(image with { Pixels = null });
        }

        public void Release() => ArrayPool<float>.Shared.Return(Input);
    }
}
