using AeOnnx.Latents;

namespace AeOnnx.ML.Internal;

/// <summary>
/// The computation behind one mapping, over a batch of rows. Shared by the batched cursor (before
/// saving) and the per-row <c>CustomMapping</c> (after loading), so both give the same numbers.
/// Thread-safe: holds no per-call state.
/// </summary>
internal sealed class Operation
{
    private readonly string? _folder;
    private readonly Device _device;

    /// <summary>Creates the operation. The model is looked up in <see cref="ModelCache"/> by (folder, requested device) on every call, so <see cref="ModelCache.Clear"/> does not strand it.</summary>
    public Operation(MappingSpec spec, string? folder, Device requestedDevice)
    {
        Spec = spec;
        if (spec.NeedsModel && folder is null)
        {
            throw new ArgumentNullException(nameof(folder), $"Mapping {spec.Kind} needs a model.");
        }

        _folder = spec.NeedsModel ? folder : null;
        _device = requestedDevice;
    }

    public MappingSpec Spec { get; }

    /// <summary>Resolves the model of a spec through the process cache (used at load time).</summary>
    public static Operation Create(MappingSpec spec, string? modelDirectoryOverride = null, Device? deviceOverride = null)
    {
        if (!spec.NeedsModel)
        {
            return new Operation(spec, null, AeOnnx.Device.Cpu);
        }

        var folder = modelDirectoryOverride ?? spec.ModelDirectory;
        var device = deviceOverride ?? AeOnnx.Device.Parse(spec.Device);
        Autoencoder model;
        try
        {
            model = ModelCache.Get(folder, device, spec.BatchSize);
        }
        catch (Exception e) when (e is ModelLoadException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"AeOnnx mapping for column '{spec.OutputColumn}' needs model '{spec.ModelName}' from '{folder}', which cannot be loaded: {e.Message} " +
                "Register the model's current folder when loading (AeOnnxCatalog.RegisterAeOnnx with AeOnnxLoadOptions.ModelDirectories).", e);
        }

        var identity = ModelCache.Identity(model);
        if (!string.Equals(identity, spec.ModelIdentity, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"AeOnnx mapping for column '{spec.OutputColumn}' was saved with model '{spec.ModelName}' (encoder+decoder SHA-256 {spec.ModelIdentity}), " +
                $"but '{folder}' holds '{model.Name}' ({identity}). Point the loader at the model the pipeline was saved with.");
        }

        // Saving the loaded pipeline again records where the model was actually found.
        return new Operation(spec with { ModelDirectory = Path.GetFullPath(folder), Device = device.ToString() }, folder, device);
    }

    /// <summary>The model (from the process cache; reloaded after <see cref="ModelCache.Clear"/>); null for model-free mappings.</summary>
    public Autoencoder? Model => _folder is null ? null : ModelCache.Get(_folder, _device, Spec.BatchSize);

    /// <summary>Computes <paramref name="count"/> rows.</summary>
    /// <param name="paths">For <see cref="OperationKind.LoadImages"/>: one path per row.</param>
    /// <param name="first">Row-major input vectors (count × InputSize).</param>
    /// <param name="second">Second input vectors for interpolation.</param>
    /// <param name="count">Rows.</param>
    /// <param name="output">count × max(1, OutputSize) floats.</param>
    public void Compute(IReadOnlyList<string>? paths, ReadOnlySpan<float> first, ReadOnlySpan<float> second, int count, Span<float> output)
    {
        var model = Model;
        switch (Spec.Kind)
        {
            case OperationKind.LoadImages:
                if (count == 1)
                {
                    model!.Images.LoadTensor(paths![0], output[..Spec.OutputSize]);
                }
                else
                {
                    // Decoding is independent per file and the converter is thread-safe: decode a batch in parallel.
                    var images = model!.Images;
                    var size = Spec.OutputSize;
                    var results = new float[count][];
                    try
                    {
                        Parallel.For(0, count, i => results[i] = images.LoadTensor(paths![i]));
                    }
                    catch (AggregateException e) when (e.InnerExceptions.Count > 0)
                    {
                        // Report the first bad file as the sequential path would (an ImageLoadException naming it).
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                    }
                    for (var i = 0; i < count; i++)
                    {
                        results[i].CopyTo(output.Slice(i * size, size));
                    }
                }

                break;
            case OperationKind.Encode:
                model!.EncodeTensor(first[..(count * Spec.InputSize)], output[..(count * Spec.OutputSize)]);
                break;
            case OperationKind.Decode:
                model!.DecodeTensor(first[..(count * Spec.InputSize)], output[..(count * Spec.OutputSize)]);
                break;
            case OperationKind.Reconstruct:
                {
                    var latents = new float[count * model!.LatentDim];
                    model.EncodeTensor(first[..(count * Spec.InputSize)], latents);
                    model.DecodeTensor(latents, output[..(count * Spec.OutputSize)]);
                    break;
                }

            case OperationKind.ReconstructionError:
                {
                    var n = Spec.InputSize;
                    var latents = new float[count * model!.LatentDim];
                    var recon = new float[count * n];
                    model.EncodeTensor(first[..(count * n)], latents);
                    model.DecodeTensor(latents, recon);
                    for (var i = 0; i < count; i++)
                    {
                        output[i] = (float)model.MeasureError(first.Slice(i * n, n), recon.AsSpan(i * n, n)).Mse;
                    }

                    break;
                }

            case OperationKind.Interpolate:
                {
                    var d = Spec.InputSize;
                    for (var i = 0; i < count; i++)
                    {
                        var a = first.Slice(i * d, d);
                        var b = second.Slice(i * d, d);
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

                    break;
                }

            default:
                throw new InvalidOperationException($"Unknown operation {Spec.Kind}.");
        }
    }
}
