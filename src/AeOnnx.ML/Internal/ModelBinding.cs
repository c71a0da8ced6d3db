using System.Globalization;

namespace AeOnnx.ML.Internal;

/// <summary>
/// The one place that decides whether a transformer may use a model instance
/// (<see cref="AutoencoderModelPolicy"/>): called for every instance a transformer has not used
/// before (first use, after <see cref="ModelCache.Clear"/>, after loading, on a hot swap), before any row.
/// </summary>
internal static class ModelBinding
{
    /// <summary>The manifest's preprocessing rules as one comparable string.</summary>
    public static string Preprocessing(Autoencoder model)
    {
        var i = model.Manifest.Image;
        static string Floats(IReadOnlyList<float> v) => string.Join(",", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));

        // gray and alpha have one rule each (bt601, ignore): a manifest that names another is refused at load.
        return $"color={i.Color};scale={i.Scale.ToString("R", CultureInfo.InvariantCulture)};mean={Floats(i.Mean)};std={Floats(i.Std)};resize={i.Resize};gray=bt601;alpha=ignore";
    }

    /// <summary>Records the model's identity and shapes into a spec made at fit time.</summary>
    public static MappingSpec Describe(MappingSpec spec, Autoencoder model) => spec with
    {
        ModelName = model.Name,
        EncoderSha256 = model.Manifest.Encoder.Sha256,
        DecoderSha256 = model.Manifest.Decoder.Sha256,
        Channels = model.Channels,
        Height = model.Height,
        Width = model.Width,
        LatentDim = model.LatentDim,
        Preprocessing = Preprocessing(model),
    };

    /// <summary>
    /// Throws <see cref="AutoencoderModelMismatchException"/> when <paramref name="model"/> may not
    /// serve <paramref name="spec"/> under <paramref name="policy"/>; returns a line to log (and its
    /// level) when it may but differs from the recorded graphs, else null.
    /// </summary>
    public static (string Message, Microsoft.Extensions.Logging.LogLevel Level)? Check(MappingSpec spec, Autoencoder model, AutoencoderModelPolicy policy)
    {
        var where = $"AeOnnx column '{spec.OutputColumn}' (policy {policy}): model folder '{model.Folder}'";
        var identity = ModelCache.Identity(model);

        // Shapes first, under every policy: the schema was fixed at fit time and a row must never
        // be cut from another model's tensor.
        var (expectIn, expectOut) = Sizes(spec.Kind, spec.Input, model);
        if (expectIn != spec.InputSize || expectOut != spec.OutputSize)
        {
            throw new AutoencoderModelMismatchException(
                $"{where} holds '{model.Name}' ({model.Channels}×{model.Height}×{model.Width} → {model.LatentDim}), " +
                $"giving {spec.Kind} sizes in={expectIn}, out={expectOut}; the transformer was fitted with '{spec.ModelName}'{Shape(spec)}, sizes in={spec.InputSize}, out={spec.OutputSize}. " +
                "A model of another shape is refused under every policy: fit the pipeline again for it.");
        }

        // Equal pixel counts can still be another layout (3×16×16 vs 1×28×28 is not, 2×8×8 vs 1×16×8 is).
        if (spec.Channels > 0 && (spec.Channels, spec.Height, spec.Width) != (model.Channels, model.Height, model.Width))
        {
            throw new AutoencoderModelMismatchException(
                $"{where}: field input: expected {spec.Channels}×{spec.Height}×{spec.Width}, found '{model.Name}' ({model.Channels}×{model.Height}×{model.Width} → {model.LatentDim}). " +
                "A model of another shape is refused under every policy: fit the pipeline again for it.");
        }

        var sameGraphs = string.Equals(identity, spec.ModelIdentity, StringComparison.Ordinal);
        switch (policy)
        {
            case AutoencoderModelPolicy.Pinned when !sameGraphs:
                throw new AutoencoderModelMismatchException(
                    $"{where}: field encoder+decoder sha256: expected {spec.ModelIdentity} ('{spec.ModelName}', recorded at fit time), " +
                    $"found {identity} ('{model.Name}' ({model.Channels}×{model.Height}×{model.Width} → {model.LatentDim})). The Pinned policy only accepts the same graphs; use Compatible or Follow to take a retrained model.");
            case AutoencoderModelPolicy.Compatible:
                if (!spec.ExplicitlyMapped && !string.Equals(model.Name, spec.ModelName, StringComparison.Ordinal))
                {
                    throw new AutoencoderModelMismatchException(
                        $"{where}: field name: expected '{spec.ModelName}', found '{model.Name}'. The Compatible policy takes a model of another name " +
                        "only when it is mapped to the saved name explicitly (AeOnnxLoadOptions.ModelDirectories).");
                }

                var preprocessing = Preprocessing(model);
                if (spec.Preprocessing.Length > 0 && !string.Equals(preprocessing, spec.Preprocessing, StringComparison.Ordinal))
                {
                    throw new AutoencoderModelMismatchException(
                        $"{where}: field input preprocessing: expected {spec.Preprocessing}, found {preprocessing}. The Compatible policy needs the same preprocessing.");
                }

                break;
        }

        if (sameGraphs)
        {
            return null;
        }

        // A retrained encoder has another latent basis: whatever was trained on this column's latents
        // (a classifier, a normalizer) would now read coordinates it was never fitted on.
        var newBasis = !string.Equals(model.Manifest.Encoder.Sha256, spec.EncoderSha256, StringComparison.Ordinal);
        if (newBasis && spec.FeedsTrainedStages && !spec.AllowLatentBasisChange)
        {
            throw new AutoencoderModelMismatchException(
                $"{where}: field encoder.sha256: the latent column '{spec.OutputColumn}' feeds stages after it that were fitted on the latents of encoder {spec.EncoderSha256} ('{spec.ModelName}'); " +
                $"'{model.Name}' has encoder {model.Manifest.Encoder.Sha256}, another latent basis, so they would predict from coordinates they were never fitted on. " +
                "Refit those stages on the new model's latents and swap the whole pipeline (AutoencoderModelBinding.TrySwap(folder, refitPipeline)), " +
                "or say that they were refit or do not depend on the basis (AllowLatentBasisChange).");
        }

        var line = $"AeOnnx: column '{spec.OutputColumn}' now uses '{model.Name}' from '{model.Folder}' (encoder+decoder sha256 {identity}) " +
                   $"instead of '{spec.ModelName}' ({spec.ModelIdentity}); accepted by policy {policy}.";
        return newBasis && spec.FeedsTrainedStages
            ? (line + $" The encoder changed (another latent basis) while stages after '{spec.OutputColumn}' read it: allowed because AllowLatentBasisChange was set.", Microsoft.Extensions.Logging.LogLevel.Warning)
            : (line, Microsoft.Extensions.Logging.LogLevel.Information);
    }

    private static string Shape(MappingSpec spec) =>
        spec.Channels > 0 ? $" ({spec.Channels}×{spec.Height}×{spec.Width} → {spec.LatentDim})" : "";

    /// <summary>Input and output values per row of a mapping kind for a model (0: text/image input or scalar output).</summary>
    public static (int In, int Out) Sizes(OperationKind kind, MappingInput input, Autoencoder model)
    {
        var pixelsIn = input == MappingInput.Vector ? model.PixelCount : 0;
        return kind switch
        {
            OperationKind.LoadImages => (0, model.PixelCount),
            OperationKind.Encode => (pixelsIn, model.LatentDim),
            OperationKind.Decode => (model.LatentDim, model.PixelCount),
            OperationKind.Reconstruct => (pixelsIn, model.PixelCount),
            OperationKind.ReconstructionError => (pixelsIn, 0),
            OperationKind.AnomalyScore => (pixelsIn, 0),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "No model sizes for this mapping."),
        };
    }
}
