using System.IO.Compression;
using System.Reflection;
using System.Runtime.ExceptionServices;
using AeOnnx.IO;
using AeOnnx.ML.Internal;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace AeOnnx.ML;

/// <summary>
/// ML.NET catalog extensions for AeOnnx autoencoders: <see cref="Autoencoder(TransformsCatalog)"/>
/// (the transforms: image loading, encode, decode, reconstruct, reconstruction error, latent
/// interpolation), saving and loading pipelines that contain them, and the earlier model-first
/// methods (obsolete).
/// </summary>
/// <remarks>
/// <para><b>Trust.</b> Only apply models from trusted sources. A model folder's ONNX graphs are run
/// by ONNX Runtime; a crafted graph or manifest is untrusted input to native code. Image files are
/// decoded by the core with its limits.</para>
/// <para><b>Who disposes what.</b> Estimators and transformers own no ONNX Runtime sessions: every
/// model folder is loaded once per process, device and options object into <see cref="AeOnnxModelCache"/>, shared,
/// and released by <see cref="AeOnnxModelCache.Clear"/>; or it belongs to the <see cref="AutoencoderHost"/> a transformer is bound to.</para>
/// <para><b>Models change.</b> A transformer checks every model instance it gets against what it was
/// fitted with, under its <see cref="AutoencoderModelPolicy"/>; a model of other shapes is always refused.</para>
/// <para><b>Pixel columns.</b> A pixel vector is C·H·W floats, NCHW (planar), normalized as the
/// manifest says: <c>x = (p / scale − mean[c]) / std[c]</c>. ML.NET's own <c>LoadImages</c> output
/// (an <c>MLImage</c> column) can be given to the image-taking transforms directly: the core then
/// applies the model's preprocessing to each image.</para>
/// <para><b>Saving and loading.</b> <see cref="SaveWithAeOnnx(MLContext, ITransformer, DataViewSchema, string, AeOnnxSaveOptions?)"/>
/// writes ML.NET's zip plus one JSON entry (<c>AeOnnx/pipeline.json</c>) and, when asked, the model
/// folders; <see cref="LoadWithAeOnnx(MLContext, string, out DataViewSchema, AeOnnxLoadOptions?)"/> reads it back.</para>
/// </remarks>
public static class AeOnnxCatalog
{
    /// <summary>The AeOnnx transforms: <c>mlContext.Transforms.Autoencoder().Encode("Latent", "Pixels", modelDirectory)</c>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <returns>The AeOnnx sub-catalog.</returns>
    public static AutoencoderTransforms Autoencoder(this TransformsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new AutoencoderTransforms(catalog);
    }

    /// <summary>
    /// Saves a fitted pipeline that contains AeOnnx transformers: ML.NET's zip (as <c>mlContext.Model.Save</c>
    /// writes it) plus the entry <c>AeOnnx/pipeline.json</c> (format <c>aeonnx.ml.pipeline/2</c>: per
    /// mapping the model name, SHA-256s, shapes, preprocessing, policy, options and the model folder
    /// relative to the zip's folder) and, with <see cref="AeOnnxSaveOptions.EmbedModels"/>, the model
    /// folders themselves. Written to a temporary file and renamed, so the target is never half-written.
    /// Plain <c>mlContext.Model.Save</c> refuses pipelines with AeOnnx transformers.
    /// </summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputSchema">The schema of its input.</param>
    /// <param name="path">The zip to write.</param>
    /// <param name="options">Embedding; null for defaults.</param>
    public static void SaveWithAeOnnx(this MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path, AeOnnxSaveOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        AtomicFile.Write(full, stream => Save(mlContext, model, inputSchema, stream, Path.GetDirectoryName(full), options));
    }

    /// <summary>Like <see cref="SaveWithAeOnnx(MLContext, ITransformer, DataViewSchema, string, AeOnnxSaveOptions?)"/>, to a stream (no relative folder is recorded: embed the models or map them by name when loading).</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputSchema">The schema of its input.</param>
    /// <param name="stream">A writable stream; the zip is written at its position; not disposed.</param>
    /// <param name="options">Embedding; null for defaults.</param>
    public static void SaveWithAeOnnx(this MLContext mlContext, ITransformer model, DataViewSchema inputSchema, Stream stream, AeOnnxSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        Save(mlContext, model, inputSchema, buffer, null, options);
        buffer.Position = 0;
        buffer.CopyTo(stream);
    }

    private static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, Stream stream, string? zipFolder, AeOnnxSaveOptions? options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        using (var session = SaveSession.Begin())
        {
            mlContext.Model.Save(model, inputSchema, stream);
            stream.Position = 0;
            using var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true);
            PipelinePayload.Write(zip, session.Transformers, zipFolder, options?.EmbedModels ?? false);
        }

        stream.Position = 0;
    }

    /// <summary>
    /// Makes the AeOnnx mappings in a saved ML.NET model loadable by this catalog's context (for a
    /// plain <c>mlContext.Model.Load</c> afterwards; <see cref="LoadWithAeOnnx(MLContext, string, out DataViewSchema, AeOnnxLoadOptions?)"/>
    /// does both). It reads <c>AeOnnx/pipeline.json</c> from the zip (or, for a zip saved by the first
    /// format, the contract names in ML.NET's entries), finds each model (<see cref="AeOnnxLoadOptions.ModelDirectories"/>,
    /// the embedded copy, the folder relative to the zip), checks it under the mapping's policy, and
    /// registers a generated <c>CustomMappingFactory</c> per mapping. Only load pipelines and models from trusted sources.
    /// </summary>
    /// <param name="catalog">The loading context's <c>mlContext.ComponentCatalog</c>.</param>
    /// <param name="savedModelPath">The saved zip.</param>
    /// <param name="options">Model folders, device, policy, core options; null for the saved ones.</param>
    /// <returns>How many AeOnnx mappings were found and registered.</returns>
    /// <exception cref="ArgumentException">A <see cref="AeOnnxLoadOptions.ModelDirectories"/> key names no model of the pipeline.</exception>
    /// <exception cref="ModelLoadException">A model folder cannot be loaded.</exception>
    /// <exception cref="AutoencoderModelMismatchException">A found model is refused by the mapping's policy.</exception>
    /// <exception cref="FormatException">The AeOnnx payload is damaged or edited: a field holds what it cannot (a hash that is not 64 hex digits, a path where a plain name belongs, an out-of-range size), or an embedded model's entries are missing, too large or not the graphs the payload names. Nothing is written before the payload passes.</exception>
    public static int RegisterAeOnnx(this ComponentCatalog catalog, string savedModelPath, AeOnnxLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(savedModelPath);
        using var stream = File.OpenRead(savedModelPath);
        return Register(catalog, stream, Path.GetDirectoryName(Path.GetFullPath(savedModelPath)), options).Count;
    }

    /// <summary>Like <see cref="RegisterAeOnnx(ComponentCatalog, string, AeOnnxLoadOptions?)"/>, reading the saved model from a seekable stream (rewind it before loading). Relative model folders cannot be resolved from a stream.</summary>
    /// <param name="catalog">The loading context's <c>mlContext.ComponentCatalog</c>.</param>
    /// <param name="savedModel">The saved model; read, not disposed.</param>
    /// <param name="options">Model folders, device, policy, core options; null for the saved ones.</param>
    /// <returns>How many AeOnnx mappings were found and registered.</returns>
    public static int RegisterAeOnnx(this ComponentCatalog catalog, Stream savedModel, AeOnnxLoadOptions? options = null)
        => Register(catalog, savedModel, null, options).Count;

    private static IReadOnlyList<Operation> Register(ComponentCatalog catalog, Stream savedModel, string? zipFolder, AeOnnxLoadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(savedModel);
        using var zip = new ZipArchive(savedModel, ZipArchiveMode.Read, leaveOpen: true);
        var payload = PipelinePayload.Read(zip);
        var mappings = payload?.Mappings ?? [];

        var names = mappings.Where(m => m.Spec!.NeedsModel).Select(m => m.Spec!.ModelName).ToHashSet(StringComparer.Ordinal);
        var unknown = options?.ModelDirectories.Keys.Where(k => !names.Contains(k)).ToArray() ?? [];
        if (unknown.Length > 0)
        {
            throw new ArgumentException(
                $"AeOnnxLoadOptions.ModelDirectories names {string.Join(", ", unknown.Select(k => $"'{k}'"))}, which the saved pipeline does not use; " +
                $"its models are: {(names.Count == 0 ? "none" : string.Join(", ", names.Order(StringComparer.Ordinal).Select(k => $"'{k}'")))}.",
                nameof(options));
        }

        var operations = new List<Operation>();
        foreach (var mapping in mappings)
        {
            var operation = Resolve(zip, mapping, zipFolder, options);
            LoadTimeRegistry.Register(catalog, mapping.Contract, operation);
            operations.Add(operation);
        }

        return operations;
    }

    private static Operation Resolve(ZipArchive zip, PipelinePayload.Mapping mapping, string? zipFolder, AeOnnxLoadOptions? options)
    {
        var spec = mapping.Spec!;
        if (!spec.NeedsModel)
        {
            return new Operation(spec, null);
        }

        var policy = options?.ModelPolicy ?? spec.Policy;
        var device = options?.Device ?? AeOnnx.Device.Parse(spec.Device);
        string folder;
        var explicitly = false;
        if (options is not null && options.ModelDirectories.TryGetValue(spec.ModelName, out var mapped))
        {
            folder = mapped;
            explicitly = true;
        }
        else if (mapping.Embedded is not null)
        {
            folder = PipelinePayload.Unpack(zip, mapping, options?.EmbeddedModelCacheDirectory);
        }
        else if (mapping.RelativeFolder is not null && zipFolder is not null)
        {
            folder = Path.GetFullPath(Path.Combine(zipFolder, mapping.RelativeFolder));
        }
        else
        {
            throw new ModelLoadException(
                $"AeOnnx mapping for column '{spec.OutputColumn}' needs model '{spec.ModelName}', but the zip neither embeds it nor records a folder relative to a file path. " +
                "Name its folder with AeOnnxLoadOptions.ModelDirectories, or save with AeOnnxSaveOptions.EmbedModels.");
        }

        var modelOptions = options?.ModelOptions ?? (spec.IntraOpThreads > 0 ? new AutoencoderOptions { IntraOpThreads = spec.IntraOpThreads } : null);
        var resolved = spec with { ModelDirectory = Path.GetFullPath(folder), Device = device.ToString(), Policy = policy, ExplicitlyMapped = explicitly };
        var operation = new Operation(resolved, new ModelSource.Cached(folder, device, spec.BatchSize, modelOptions), modelOptions?.Logger);
        try
        {
            // Resolve and check now, so a missing or refused model is reported here, unwrapped,
            // rather than from inside ML.NET's reflection during Model.Load.
            using var lease = operation.Acquire();
        }
        catch (Exception e) when (e is ModelLoadException or IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(
                $"AeOnnx mapping for column '{spec.OutputColumn}' needs model '{spec.ModelName}' from '{folder}', which cannot be loaded: {e.Message} " +
                "Name the model's current folder with AeOnnxLoadOptions.ModelDirectories, or save with AeOnnxSaveOptions.EmbedModels.", e);
        }

        return operation;
    }

    /// <summary>
    /// Loads a pipeline saved by <see cref="SaveWithAeOnnx(MLContext, ITransformer, DataViewSchema, string, AeOnnxSaveOptions?)"/>
    /// (or by the first format's plain <c>Model.Save</c>): <see cref="RegisterAeOnnx(ComponentCatalog, string, AeOnnxLoadOptions?)"/>,
    /// then <c>mlContext.Model.Load</c>, then every loaded AeOnnx <c>CustomMapping</c> (one row per model
    /// call) is replaced by the equivalent <see cref="AutoencoderTransformer"/> (batched again).
    /// Errors from the AeOnnx mappings arrive as themselves, not wrapped in <see cref="TargetInvocationException"/>.
    /// Transformer chains are rebuilt with ML.NET's public constructor, which keeps the transformers
    /// and their order but not a chain's per-transformer scopes (these only matter to <c>TransformerChain.GetModelFor</c>).
    /// </summary>
    /// <param name="mlContext">The loading context.</param>
    /// <param name="savedModelPath">The saved zip. Only load pipelines and models from trusted sources.</param>
    /// <param name="inputSchema">The schema the pipeline was saved with.</param>
    /// <param name="options">Model folders, device, policy, core options; null for the saved ones.</param>
    /// <returns>The loaded pipeline.</returns>
    public static ITransformer LoadWithAeOnnx(this MLContext mlContext, string savedModelPath, out DataViewSchema inputSchema, AeOnnxLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        RegisterAeOnnx(mlContext.ComponentCatalog, savedModelPath, options);
        ITransformer loaded;
        try
        {
            loaded = mlContext.Model.Load(savedModelPath, out inputSchema);
        }
        catch (TargetInvocationException e)
        {
            var inner = Unwrap(e);
            ExceptionDispatchInfo.Capture(inner).Throw();
            throw;
        }

        return GuardLatentBasis(Rebatch(loaded), options?.AllowLatentBasisChange ?? false);
    }

    /// <summary>
    /// Marks the Encode stages whose latents later, non-AeOnnx stages read (<see cref="LatentConsumers"/>)
    /// and checks their model now: a model with another encoder than the one those stages were fitted
    /// on (a retrained folder under Compatible or Follow) is refused here, not after a silent change of
    /// every prediction, unless <see cref="AeOnnxLoadOptions.AllowLatentBasisChange"/> says so (logged as a warning).
    /// </summary>
    private static ITransformer GuardLatentBasis(ITransformer pipeline, bool allow)
    {
        var feeding = LatentConsumers.Find(pipeline);
        if (feeding.Count == 0)
        {
            return pipeline;
        }

        return Replace(pipeline, t =>
        {
            if (!feeding.Contains(t) || !t.Spec.NeedsModel)
            {
                return t;
            }

            var marked = t.WithSpec(spec => spec with { FeedsTrainedStages = true, AllowLatentBasisChange = allow });
            using var lease = marked.Operation.Acquire();
            return marked;
        });
    }

    private static ITransformer Replace(ITransformer transformer, Func<AutoencoderTransformer, AutoencoderTransformer> replace)
    {
        if (transformer is AutoencoderTransformer a)
        {
            return replace(a);
        }

        var type = transformer.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(TransformerChain<>))
        {
            var parts = ((IEnumerable<ITransformer>)transformer).ToArray();
            var rebuilt = parts.Select(p => Replace(p, replace)).ToArray();
            return rebuilt.SequenceEqual(parts) ? transformer : new TransformerChain<ITransformer>(rebuilt);
        }

        return transformer;
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is TargetInvocationException { InnerException: { } inner })
        {
            e = inner;
        }

        return e;
    }

    private static ITransformer Rebatch(ITransformer transformer)
    {
        var type = transformer.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Microsoft.ML.Transforms.CustomMappingTransformer<,>))
        {
            var registration = LoadTimeRegistry.TryLookupByInputType(type.GetGenericArguments()[0]);
            return registration is null
                ? transformer
                : new AutoencoderTransformer(registration.Operation, $"{registration.Operation.Spec.Kind} (loaded)");
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(TransformerChain<>))
        {
            var parts = ((IEnumerable<ITransformer>)transformer).ToArray();
            var rebuilt = parts.Select(Rebatch).ToArray();
            return rebuilt.SequenceEqual(parts) ? transformer : new TransformerChain<ITransformer>(rebuilt);
        }

        return transformer;
    }
}
