using System.Globalization;
using System.Security.Cryptography;
using AeOnnx.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AeOnnx.Runtime;

/// <summary>
/// Loads a model folder: manifest (or the graphs' metadata_props), SHA-256 of each graph, one
/// session per graph, and the manifest checked against each session's input/output metadata.
/// Every refusal is a <see cref="ModelLoadException"/>.
/// </summary>
internal static class ModelLoader
{
    public static LoadedModel Load(string folderOrManifest, AutoencoderOptions options)
    {
        var folder = ResolveFolder(folderOrManifest);
        var manifestPath = Path.Combine(folder, ManifestReader.ManifestFileName);
        ModelManifest? model = null;
        if (File.Exists(manifestPath))
        {
            model = ManifestReader.Validate(ManifestReader.Parse(ReadFile(manifestPath, null, ModelLimits.MaxManifestBytes), manifestPath), manifestPath);
        }

        var encoderPath = Path.Combine(folder, model?.Encoder.File ?? ManifestReader.DefaultEncoderFile);
        var decoderPath = Path.Combine(folder, model?.Decoder.File ?? ManifestReader.DefaultDecoderFile);
        if (model is null && !File.Exists(encoderPath) && !File.Exists(decoderPath))
        {
            throw new ModelLoadException(manifestPath, null, "a model folder with manifest.json (or encoder.onnx and decoder.onnx)", "missing");
        }

        CheckInsideFolder(encoderPath, folder, "encoder.file");
        CheckInsideFolder(decoderPath, folder, "decoder.file");
        var encoderBytes = ReadFile(encoderPath, model is null ? null : "encoder.file", ModelLimits.MaxGraphBytes);
        var decoderBytes = ReadFile(decoderPath, model is null ? null : "decoder.file", ModelLimits.MaxGraphBytes);
        var encoderHash = Sha256(encoderBytes);
        var decoderHash = Sha256(decoderBytes);
        if (model is not null)
        {
            CheckHash(encoderPath, "encoder.sha256", model.Encoder.Sha256, encoderHash);
            CheckHash(decoderPath, "decoder.sha256", model.Decoder.Sha256, decoderHash);
            model = WithNeighbours(model, folder);
        }

        var factory = new SessionFactory(options);
        var device = options.Device;
        InferenceSession? encoder = null;
        InferenceSession? decoder = null;
        try
        {
            encoder = CreateSession(factory, encoderBytes, encoderPath, encoderHash, ref device);
            decoder = CreateSession(factory, decoderBytes, decoderPath, decoderHash, ref device);
            model ??= ManifestReader.Validate(FromMetadata(encoder, decoder, encoderPath, decoderPath), encoderPath, requireHashes: false);

            // A bare pair has no hashes to check, but its identity is still the bytes that were loaded.
            model = model with
            {
                Encoder = model.Encoder with { Sha256 = encoderHash },
                Decoder = model.Decoder with { Sha256 = decoderHash },
            };
            var (encoderGraph, decoderGraph) = CheckGraphs(model, encoder, decoder, encoderPath, decoderPath);
            var image = model.Image;
            Log.ModelLoaded(options.Logger, model.Name, model.IsVariational ? "vae" : "ae", image.Channels, image.Height, image.Width, model.Latent.Dim, SessionFactory.ProviderName(device), device.ToString());
            return new LoadedModel(folder, model, encoderGraph, decoderGraph, device);
        }
        catch
        {
            encoder?.Dispose();
            decoder?.Dispose();
            throw;
        }
    }

    private static string ResolveFolder(string folderOrManifest)
    {
        var full = Path.GetFullPath(folderOrManifest);
        if (File.Exists(full) && string.Equals(Path.GetFileName(full), ManifestReader.ManifestFileName, StringComparison.OrdinalIgnoreCase))
        {
            return Path.GetDirectoryName(full)!;
        }

        if (!Directory.Exists(full))
        {
            throw new ModelLoadException(folderOrManifest, null, "a model folder", "no such directory");
        }

        return full;
    }

    /// <summary>A plain name can still be a symbolic link; its final target must stay inside the folder too.</summary>
    private static void CheckInsideFolder(string path, string folder, string field)
    {
        if (new FileInfo(path).LinkTarget is null)
        {
            return;
        }

        FileSystemInfo? target;
        try
        {
            target = File.ResolveLinkTarget(path, returnFinalTarget: true);
        }
        catch (IOException ex)
        {
            throw new ModelLoadException(path, field, "a file inside the model folder", $"an unresolvable link ({ex.Message})", ex);
        }

        if (target is null)
        {
            return;
        }

        var root = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
        if (!target.FullName.StartsWith(root, StringComparison.Ordinal))
        {
            throw new ModelLoadException(path, field, "a file inside the model folder", $"a link to {target.FullName}");
        }
    }

    /// <summary>Reads a model file (manifest or graph): a regular, non-empty file of at most <paramref name="maxBytes"/>; refusals name the field.</summary>
    internal static byte[] ReadFile(string path, string? field, long maxBytes)
    {
        try
        {
            // Only a regular file: a FIFO would block the read forever and a device (/dev/zero) never
            // ends; the open never blocks, so a file swapped for a FIFO after any check is refused too.
            return IO.RegularFile.ReadAllBytes(path, maxBytes);
        }
        catch (IO.RegularFileException ex)
        {
            var found = ex.Problem switch
            {
                IO.RegularFileProblem.NotFound => "missing",
                IO.RegularFileProblem.NotRegular => "an empty file or not a regular file (a FIFO or device)",
                IO.RegularFileProblem.TooLarge => $"a file larger than {maxBytes} bytes",
                _ => ex.Detail,
            };
            var expected = ex.Problem switch
            {
                IO.RegularFileProblem.NotFound => "an existing file",
                IO.RegularFileProblem.NotRegular or IO.RegularFileProblem.TooLarge => "a non-empty file",
                _ => "a readable file",
            };
            throw new ModelLoadException(path, field, expected, found, ex);
        }
    }

    /// <summary>The latent_knn score's reference latents: read, hashed, sized against the entry and whitened.</summary>
    private static ModelManifest WithNeighbours(ModelManifest model, string folder)
    {
        if (model.Anomaly is not { ReferencesFile: { } entry } anomaly)
        {
            return model;
        }

        var path = Path.Combine(folder, entry.File);
        CheckInsideFolder(path, folder, "anomaly.latent_knn.file");
        var bytes = ReadFile(path, "anomaly.latent_knn.file", ModelLimits.MaxReferenceBytes);
        CheckHash(path, "anomaly.latent_knn.sha256", entry.Sha256, Sha256(bytes));
        if (entry.Dim != model.Latent.Dim)
        {
            throw new ModelLoadException(path, "anomaly.latent_knn.dim", $"the latent size {model.Latent.Dim}", entry.Dim.ToString(CultureInfo.InvariantCulture));
        }

        if (bytes.Length != (long)entry.Count * entry.Dim * sizeof(float))
        {
            throw new ModelLoadException(path, "anomaly.latent_knn.file", $"count·dim·4 = {(long)entry.Count * entry.Dim * sizeof(float)} bytes", $"{bytes.Length} bytes");
        }

        var latents = new float[entry.Count * entry.Dim];
        for (var i = 0; i < latents.Length; i++)
        {
            latents[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
            if (!float.IsFinite(latents[i]))
            {
                throw new ModelLoadException(path, "anomaly.latent_knn.file", "finite float32 values", $"{latents[i]} at value {i}");
            }
        }

        var gaussian = new Latents.LatentGaussian(model.Latent.Mean!, model.Latent.Cholesky!);
        return model with { Anomaly = anomaly with { Neighbours = new Anomaly.LatentNeighbours(entry.K, latents, entry.Count, gaussian) } };
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static void CheckHash(string path, string field, string expected, string found)
    {
        if (!string.Equals(expected, found, StringComparison.Ordinal))
        {
            throw new ModelLoadException(path, field, expected, found);
        }
    }

    private static InferenceSession CreateSession(SessionFactory factory, byte[] bytes, string path, string hash, ref Device device)
    {
        try
        {
            return factory.Create(bytes, path, hash, ref device);
        }
        catch (OnnxRuntimeException ex)
        {
            // Truncated or non-ONNX bytes surface here as a managed exception (ORT validates the
            // protobuf before building anything native), so they become a load error, not a crash.
            throw new ModelLoadException(path, null, "a valid ONNX model", $"ONNX Runtime refused it: {ex.Message}", ex);
        }
        catch (Exception ex) when (NativeRuntimeMissing(ex) is { } loader)
        {
            // The libraries reference only the managed API; an application that added no native
            // flavor meets ORT's static initializer failing, which says nothing about what to add.
            throw new DeviceUnavailableException(
                device,
                "the native ONNX Runtime library (onnxruntime) is not part of this application. AeOnnx references only "
                + "Microsoft.ML.OnnxRuntime.Managed; add one native package to the application: Microsoft.ML.OnnxRuntime (CPU) "
                + "or Microsoft.ML.OnnxRuntime.Gpu (CUDA and CPU), never both. Loader: " + loader,
                ex);
        }
    }

    /// <summary>The loader's message when <paramref name="ex"/> is ORT's own native library failing to load; otherwise null.</summary>
    private static string? NativeRuntimeMissing(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is DllNotFoundException or EntryPointNotFoundException && e.Message.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase)
                && !e.Message.Contains("providers", StringComparison.OrdinalIgnoreCase))
            {
                return e.Message;
            }
        }

        return null;
    }

    private static ManifestJson.Document FromMetadata(InferenceSession encoder, InferenceSession decoder, string encoderPath, string decoderPath)
    {
        var em = encoder.ModelMetadata.CustomMetadataMap;
        var dm = decoder.ModelMetadata.CustomMetadataMap;
        string Get(IReadOnlyDictionary<string, string> map, string key, string path) =>
            map.TryGetValue(key, out var value) && !string.IsNullOrEmpty(value)
                ? value
                : throw new ModelLoadException(path, $"metadata_props {key}", "a value (no manifest.json in the folder)", "missing");

        var format = Get(em, "aeonnx.format", encoderPath);
        if (format != ModelManifest.CurrentFormat)
        {
            throw new ModelLoadException(encoderPath, "metadata_props aeonnx.format", $"\"{ModelManifest.CurrentFormat}\"", $"\"{format}\"");
        }

        CheckRole(em, "encoder", encoderPath);
        CheckRole(dm, "decoder", decoderPath);
        var input = ManifestReader.ParseInput(Get(em, "aeonnx.input", encoderPath), encoderPath, "metadata_props aeonnx.input");
        var dimText = Get(em, "aeonnx.latent_dim", encoderPath);
        if (!int.TryParse(dimText, NumberStyles.None, CultureInfo.InvariantCulture, out var dim))
        {
            throw new ModelLoadException(encoderPath, "metadata_props aeonnx.latent_dim", "a positive integer", $"\"{dimText}\"");
        }

        var manifest = new ManifestJson.Document
        {
            Format = format,
            Name = em.TryGetValue("aeonnx.name", out var name) ? name : Path.GetFileName(Path.GetDirectoryName(encoderPath)),
            Kind = Get(em, "aeonnx.kind", encoderPath),
            Input = input,
            Output = new ManifestJson.Output { Activation = "sigmoid" },
            Latent = new ManifestJson.Latent { Dim = dim },
            Encoder = new ManifestJson.Graph
            {
                File = Path.GetFileName(encoderPath),
                Input = encoder.InputMetadata.Keys.FirstOrDefault(),
                Outputs = [.. encoder.OutputNames],
            },
            Decoder = new ManifestJson.Graph
            {
                File = Path.GetFileName(decoderPath),
                Input = decoder.InputMetadata.Keys.FirstOrDefault(),
                Output = decoder.OutputNames.FirstOrDefault(),
            },
        };
        return manifest;
    }

    private static void CheckRole(IReadOnlyDictionary<string, string> map, string role, string path)
    {
        if (map.TryGetValue("aeonnx.role", out var found) && found != role)
        {
            throw new ModelLoadException(path, "metadata_props aeonnx.role", $"\"{role}\"", $"\"{found}\"");
        }
    }

    private static (GraphSession Encoder, GraphSession Decoder) CheckGraphs(
        ModelManifest model, InferenceSession encoder, InferenceSession decoder, string encoderPath, string decoderPath)
    {
        var input = model.Image;
        var dim = model.Latent.Dim;
        int[] image = [input.Channels, input.Height, input.Width];

        var encoderInput = model.Encoder.Input;
        CheckSingleInput(encoder, encoderPath, "encoder.input", encoderInput);
        CheckTensor(encoder.InputMetadata[encoderInput], encoderPath, "encoder.input", encoderInput, image);

        var outputs = model.Encoder.Outputs;
        var encoderDim = -1;
        for (var i = 0; i < outputs.Count; i++)
        {
            var field = $"encoder.outputs[{i}]";
            if (!encoder.OutputMetadata.TryGetValue(outputs[i], out var meta))
            {
                throw new ModelLoadException(encoderPath, field, $"an output named \"{outputs[i]}\"", $"outputs {Names(encoder.OutputMetadata.Keys)}");
            }

            CheckTensor(meta, encoderPath, field, outputs[i], null);
            var found = meta.Dimensions[1];
            if (found > 0 && found != dim)
            {
                throw new ModelLoadException(encoderPath, field, $"latent size {dim} (latent.dim), shape [N, {dim}]", $"shape {Shape(meta.Dimensions)}");
            }

            encoderDim = found > 0 ? found : encoderDim;
        }

        var decoderInputName = model.Decoder.Input;
        CheckSingleInput(decoder, decoderPath, "decoder.input", decoderInputName);
        var decoderInput = decoder.InputMetadata[decoderInputName];
        CheckTensor(decoderInput, decoderPath, "decoder.input", decoderInputName, null);
        var decoderDim = decoderInput.Dimensions[1];
        if (encoderDim > 0 && decoderDim > 0 && decoderDim != encoderDim)
        {
            throw new ModelLoadException(decoderPath, "decoder.input", $"latent size {encoderDim} (the encoder's output), shape [N, {encoderDim}]", $"latent size {decoderDim}, shape {Shape(decoderInput.Dimensions)}");
        }

        if (decoderDim > 0 && decoderDim != dim)
        {
            throw new ModelLoadException(decoderPath, "decoder.input", $"latent size {dim} (latent.dim), shape [N, {dim}]", $"shape {Shape(decoderInput.Dimensions)}");
        }

        var outputName = model.Decoder.Outputs[0];
        if (!decoder.OutputMetadata.TryGetValue(outputName, out var decoderOutput))
        {
            throw new ModelLoadException(decoderPath, "decoder.output", $"an output named \"{outputName}\"", $"outputs {Names(decoder.OutputMetadata.Keys)}");
        }

        CheckTensor(decoderOutput, decoderPath, "decoder.output", outputName, image);

        var pixels = input.PixelCount;
        var encoderGraph = new GraphSession(encoder, encoderPath, encoderInput, outputs, image, [.. outputs.Select(_ => dim)]);
        var decoderGraph = new GraphSession(decoder, decoderPath, decoderInputName, [outputName], [dim], [pixels]);
        return (encoderGraph, decoderGraph);
    }

    private static void CheckSingleInput(InferenceSession session, string path, string field, string name)
    {
        if (!session.InputMetadata.ContainsKey(name) || session.InputMetadata.Count != 1)
        {
            throw new ModelLoadException(path, field, $"one input named \"{name}\"", $"inputs {Names(session.InputMetadata.Keys)}");
        }
    }

    /// <summary>Checks element type, rank [N, rest...], dynamic N and, when given, the fixed rest.</summary>
    private static void CheckTensor(NodeMetadata meta, string path, string field, string name, int[]? rest)
    {
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float)
        {
            throw new ModelLoadException(path, $"{field} \"{name}\" element type", "float32 tensor", meta.IsTensor ? meta.ElementDataType.ToString() : meta.OnnxValueType.ToString());
        }

        var dims = meta.Dimensions;
        var rank = rest is null ? 2 : rest.Length + 1;
        var expected = rest is null ? "[N, D]" : $"[N, {string.Join(", ", rest)}]";
        if (dims.Length != rank)
        {
            throw new ModelLoadException(path, $"{field} \"{name}\" shape", expected, Shape(dims));
        }

        if (dims[0] > 0)
        {
            throw new ModelLoadException(path, $"{field} \"{name}\" batch dimension", $"a dynamic batch dimension, shape {expected}", Shape(dims));
        }

        if (rest is not null)
        {
            for (var i = 0; i < rest.Length; i++)
            {
                // A symbolic (dynamic) size is compatible; a fixed one must match the manifest.
                if (dims[i + 1] > 0 && dims[i + 1] != rest[i])
                {
                    throw new ModelLoadException(path, $"{field} \"{name}\" shape", expected, Shape(dims));
                }
            }
        }
    }

    private static string Shape(int[] dims) =>
        "[" + string.Join(", ", dims.Select(d => d > 0 ? d.ToString(CultureInfo.InvariantCulture) : "N")) + "]";

    private static string Names(IEnumerable<string> names) => "[" + string.Join(", ", names.Select(n => $"\"{n}\"")) + "]";
}
