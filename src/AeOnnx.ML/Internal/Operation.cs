using AeOnnx.Imaging;
using AeOnnx.Latents;
using AeOnnx.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>
/// The computation behind one mapping, over a batch of rows. Shared by the batched cursor, the
/// row-to-row mapper and the per-row <c>CustomMapping</c> of a loaded pipeline, so all give the same
/// numbers. Every call takes its model from the <see cref="ModelSource"/> and has it checked by
/// <see cref="ModelBinding"/> when the instance is new (after a cache clear or a swap). Thread-safe.
/// </summary>
internal sealed class Operation
{
    private readonly ILogger _logger;
    private Autoencoder? _verified;
    private readonly HashSet<DataViewRowId> _skipped = [];
    private int _rangeWarned;

    public Operation(MappingSpec spec, ModelSource? source, ILogger? logger = null)
    {
        Spec = spec;
        if (spec.NeedsModel && source is null)
        {
            throw new ArgumentNullException(nameof(source), $"Mapping {spec.Kind} needs a model.");
        }

        Source = spec.NeedsModel ? source : null;
        _logger = logger ?? NullLogger.Instance;
    }

    public MappingSpec Spec { get; }

    public ModelSource? Source { get; }

    public ILogger Logger => _logger;

    // Plain Log calls (no LoggerMessage source generator in this project): the lines are rare.
    private void Write(LogLevel level, int id, string message) => _logger.Log(level, new EventId(id, "AeOnnx.ML"), message, null, static (m, _) => m);

    /// <summary>Distinct rows left out under <see cref="AutoencoderBadImageHandling.Skip"/> so far (by row id: every pass and every cursor over the same row counts it once).</summary>
    public long SkippedRows
    {
        get
        {
            lock (_skipped)
            {
                return _skipped.Count;
            }
        }
    }

    public void CountSkipped(DataViewRowId row, string reason)
    {
        lock (_skipped)
        {
            if (!_skipped.Add(row))
            {
                return;
            }
        }

        Write(LogLevel.Warning, 1401, $"AeOnnx: column '{Spec.OutputColumn}': skipped row {row.Low}: {reason}");
    }

    /// <summary>The model a call would use now, checked (for inspection; calls hold a lease instead).</summary>
    public Autoencoder? Model
    {
        get
        {
            if (Source is null)
            {
                return null;
            }

            using var lease = Acquire();
            return lease.Model;
        }
    }

    /// <summary>Takes the current model and checks it against the spec (once per model instance).</summary>
    public AutoencoderLeaseOrShared Acquire()
    {
        var lease = Source!.Acquire();
        try
        {
            Verify(lease.Model);
        }
        catch
        {
            lease.Dispose();
            throw;
        }

        return lease;
    }

    /// <summary>
    /// The model for one call: the pinned generation when the call belongs to a pinned prediction or
    /// cursor of this operation's source (every column and row of it then comes from one model), else
    /// a lease of its own. Checked against the spec once per model instance.
    /// </summary>
    private AutoencoderLeaseOrShared Acquire(ModelPin? pin, long position)
    {
        if (pin is null || !ReferenceEquals(pin.Source, Source))
        {
            return Acquire();
        }

        // The pin owns the lease: the model stays alive until the pin moves on or is released.
        var model = pin.Hold(position).Model;
        Verify(model);
        return new AutoencoderLeaseOrShared(model, null);
    }

    private void Verify(Autoencoder model)
    {
        if (ReferenceEquals(Volatile.Read(ref _verified), model))
        {
            return;
        }

        if (ModelBinding.Check(Spec, model, Spec.Policy) is { } change)
        {
            Write(change.Level, change.Level == LogLevel.Warning ? 1403 : 1400, change.Message);
        }

        Volatile.Write(ref _verified, model);
    }

    /// <summary>
    /// Batches of the current model that run at once over a data view: one per core for single-threaded
    /// CPU sessions, as in the core's folder pipeline (<see cref="RunWorkers"/>); 1 without a model.
    /// </summary>
    /// <param name="pin">The cursor's pinned model generation, if any.</param>
    public int RunsAtOnce(ModelPin? pin)
    {
        if (Source is null)
        {
            return 1;
        }

        // Sizing only: the model is checked against the spec when the batch is computed, after the rows
        // are read (an upstream stage's refusal comes first, as in a pass without this look).
        if (pin is not null && ReferenceEquals(pin.Source, Source))
        {
            return RunsAtOnce(pin.Hold(0).Model);
        }

        using var lease = Source.Acquire();
        return RunsAtOnce(lease.Model);
    }

    private static int RunsAtOnce(Autoencoder model) =>
        RunWorkers.WithinBudget(RunWorkers.For(model), model.BatchSize, Math.Max(model.PixelCount, model.LatentDim));

    /// <summary>Computes <paramref name="count"/> rows.</summary>
    /// <param name="input">The batch's inputs: paths, images or vectors.</param>
    /// <param name="count">Rows.</param>
    /// <param name="output">count × max(1, OutputSize) floats.</param>
    /// <param name="errors">Null under <see cref="AutoencoderBadImageHandling.Throw"/>; else one slot per row, set to the reason for a bad row (whose output is NaN).</param>
    /// <param name="pin">The prediction's or cursor's pinned model generation, if any.</param>
    /// <param name="position">The row position the pin refreshes on (a new prediction takes the current generation).</param>
    public void Compute(BatchInput input, int count, float[] output, string?[]? errors, ModelPin? pin = null, long position = 0)
    {
        if (Spec.Kind == OperationKind.Interpolate)
        {
            Interpolate(input, count, output);
            return;
        }

        using var lease = Acquire(pin, position);
        var model = lease.Model;
        var outWidth = Math.Max(1, Spec.OutputSize);
        if (errors is not null)
        {
            Array.Clear(errors, 0, count);
        }

        // Image inputs become the model's normalized pixels first (the core's preprocessing).
        float[] pixels;
        var pixelCount = model.PixelCount;
        if (Spec.Input != MappingInput.Vector)
        {
            pixels = Spec.Kind == OperationKind.LoadImages ? output : new float[count * pixelCount];
            LoadPixels(model, input, count, pixels, errors);
            if (Spec.Kind == OperationKind.LoadImages)
            {
                return;
            }
        }
        else
        {
            pixels = input.First;
            if (Spec.Kind != OperationKind.Decode)
            {
                WarnOnPixelRange(model, pixels.AsSpan(0, count * Spec.InputSize));
            }
        }

        // Rows that carry NaN (a bad image upstream under ErrorColumn) stay NaN without running the model.
        var inWidth = Spec.Kind == OperationKind.Decode ? model.LatentDim : pixelCount;
        var bad = new bool[count];
        var good = 0;
        for (var i = 0; i < count; i++)
        {
            bad[i] = errors?[i] is not null || HasNaN(pixels.AsSpan(i * inWidth, inWidth));
            good += bad[i] ? 0 : 1;
        }

        if (good == count)
        {
            Run(model, pixels, count, output);
            return;
        }

        var packedIn = new float[good * inWidth];
        var packedOut = new float[good * outWidth];
        for (int i = 0, j = 0; i < count; i++)
        {
            if (!bad[i])
            {
                pixels.AsSpan(i * inWidth, inWidth).CopyTo(packedIn.AsSpan(j++ * inWidth, inWidth));
            }
        }

        if (good > 0)
        {
            Run(model, packedIn, good, packedOut);
        }

        for (int i = 0, j = 0; i < count; i++)
        {
            var dst = output.AsSpan(i * outWidth, outWidth);
            if (bad[i])
            {
                dst.Fill(float.NaN);
            }
            else
            {
                packedOut.AsSpan(j++ * outWidth, outWidth).CopyTo(dst);
            }
        }
    }

    private static bool HasNaN(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            if (float.IsNaN(v))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Runs <paramref name="count"/> rows in runs of the model's batch size, <see cref="RunsAtOnce(Autoencoder)"/>
    /// of them at once. Every run sees the same rows as one call over all of them would give it, so the
    /// numbers are those of a sequential pass.
    /// </summary>
    private void Run(Autoencoder model, float[] input, int count, float[] output)
    {
        var batch = model.BatchSize;
        var runs = (count + batch - 1) / batch;
        var atOnce = Math.Min(runs, RunsAtOnce(model));
        if (atOnce <= 1)
        {
            RunRows(model, input, 0, count, output);
            return;
        }

        Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = atOnce }, r =>
        {
            var start = r * batch;
            RunRows(model, input, start, Math.Min(batch, count - start), output);
        });
    }

    /// <summary>Computes rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> of the batch.</summary>
    private void RunRows(Autoencoder model, float[] inputs, int start, int count, float[] outputs)
    {
        var n = model.PixelCount;
        var d = model.LatentDim;
        var inWidth = Spec.Kind == OperationKind.Decode ? d : n;
        var outWidth = Math.Max(1, Spec.OutputSize);
        var input = inputs.AsSpan(start * inWidth, count * inWidth);
        var output = outputs.AsSpan(start * outWidth, count * outWidth);
        switch (Spec.Kind)
        {
            case OperationKind.Encode:
                model.EncodeTensor(input, output[..(count * d)]);
                break;
            case OperationKind.Decode:
                model.DecodeTensor(input, output[..(count * n)]);
                break;
            case OperationKind.Reconstruct:
                {
                    var latents = new float[count * d];
                    model.EncodeTensor(input, latents);
                    model.DecodeTensor(latents, output[..(count * n)]);
                    break;
                }

            case OperationKind.ReconstructionError:
                {
                    var latents = new float[count * d];
                    var recon = new float[count * n];
                    model.EncodeTensor(input, latents);
                    model.DecodeTensor(latents, recon);
                    for (var i = 0; i < count; i++)
                    {
                        output[i] = (float)model.MeasureError(input.Slice(i * n, n), recon.AsSpan(i * n, n)).Mse;
                    }

                    break;
                }

            case OperationKind.AnomalyScore:
                {
                    var latents = new float[count * d];
                    var recon = new float[count * n];
                    model.EncodeTensor(input, latents);
                    model.DecodeTensor(latents, recon);
                    for (var i = 0; i < count; i++)
                    {
                        var pixels = input.Slice(i * n, n);
                        var rec = recon.AsSpan(i * n, n);
                        var reconstruction = new Reconstruction(pixels.ToArray(), latents.AsSpan(i * d, d).ToArray(), rec.ToArray(), model.MeasureError(pixels, rec));
                        output[i] = (float)model.ScoreAnomaly(reconstruction).Score;
                    }

                    break;
                }

            default:
                throw new InvalidOperationException($"Unknown operation {Spec.Kind}.");
        }
    }

    /// <summary>Decodes the batch's images straight into their rows of <paramref name="pixels"/>, in parallel.</summary>
    private void LoadPixels(Autoencoder model, BatchInput input, int count, float[] pixels, string?[]? errors)
    {
        var size = model.PixelCount;
        var failures = new Exception?[count];
        var images = model.Images;
        // Decoding is independent per row and the converter is thread-safe: a batch decodes in parallel.
        void One(int i)
        {
            var destination = pixels.AsSpan(i * size, size);
            try
            {
                if (Spec.Input == MappingInput.Path)
                {
                    images.LoadTensor(ResolvePath(input.Paths[i]), destination);
                }
                else
                {
                    FromMLImage(images, input.Images[i], destination);
                }
            }
            catch (Exception e) when (e is ImageLoadException or ArgumentException)
            {
                failures[i] = e;
            }
        }

        if (count == 1)
        {
            One(0);
        }
        else
        {
            Parallel.For(0, count, One);
        }

        for (var i = 0; i < count; i++)
        {
            if (failures[i] is { } failure)
            {
                if (errors is null)
                {
                    // The first bad row, as the sequential path would report it.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
                }

                errors![i] = failure.Message;
                pixels.AsSpan(i * size, size).Fill(float.NaN);
            }
        }
    }

    private string ResolvePath(string path) =>
        Spec.ImageFolder.Length == 0 || Path.IsPathRooted(path) ? path : Path.Combine(Spec.ImageFolder, path);

    private static void FromMLImage(ImageConverter images, MLImage? image, Span<float> destination)
    {
        if (image is null)
        {
            throw new ArgumentException("The MLImage is missing (null); ML.NET's LoadImages gives null for a row whose file it could not read.");
        }

        // MLImage keeps 32-bit pixels (BGRA or RGBA); the core's preprocessing (color rule, resize,
        // normalization) then runs exactly as for a decoded file.
        var format = image.PixelFormat == MLPixelFormat.Rgba32 ? ImagePixelFormat.Rgba32 : ImagePixelFormat.Bgra32;
        images.ToTensor(new ImageData(image.Width, image.Height, format, image.Pixels.ToArray()), destination);
    }

    private void WarnOnPixelRange(Autoencoder model, ReadOnlySpan<float> pixels)
    {
        if (Volatile.Read(ref _rangeWarned) != 0 || pixels.IsEmpty)
        {
            return;
        }

        // Normalized pixels lie in [(0 − mean)/std, (1 − mean)/std] per channel; values several
        // widths outside are raw 0..255 bytes or a doubled normalization, not an unusual image.
        var input = model.Manifest.Image;
        var lo = float.MaxValue;
        var hi = float.MinValue;
        for (var c = 0; c < input.Channels; c++)
        {
            var mean = input.Mean[c];
            var std = input.Std[c];
            lo = Math.Min(lo, (0f - mean) / std);
            hi = Math.Max(hi, (1f - mean) / std);
        }

        var width = hi - lo;
        var max = float.MinValue;
        var min = float.MaxValue;
        foreach (var v in pixels)
        {
            if (float.IsFinite(v))
            {
                max = Math.Max(max, v);
                min = Math.Min(min, v);
            }
        }

        if ((max > hi + (2 * width) || min < lo - (2 * width)) && Interlocked.Exchange(ref _rangeWarned, 1) == 0)
        {
            Write(LogLevel.Warning, 1402, $"AeOnnx: column '{Spec.InputColumns[0]}' holds values in [{min}, {max}], but model '{model.Name}' expects normalized pixels in [{lo}, {hi}] " +
                 $"(p / {input.Scale} − mean) / std). Raw 0..255 pixels? Set ExtractPixels' scaleImage to 1/{input.Scale} or use the AeOnnx image loader. (Warned once.)");
        }
    }

    private void Interpolate(BatchInput input, int count, Span<float> output)
    {
        var d = Spec.InputSize;
        for (var i = 0; i < count; i++)
        {
            var a = input.First.AsSpan(i * d, d);
            var b = input.Second.AsSpan(i * d, d);
            var dst = output.Slice(i * d, d);
            if (Spec.Mode == InterpolationMode.Linear)
            {
                LatentMath.Lerp(a, b, Spec.T, dst);
            }
            else
            {
                LatentMath.Slerp(a, b, Spec.T, dst);
            }
        }
    }
}
