using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>
/// The one rule for "a trained stage consumes a latent column": an AeOnnx transformer that outputs
/// latents (Encode, latent interpolation) followed, anywhere later in the pipeline, by a transformer
/// that is not an AeOnnx transform (a trainer, a normalizer, a custom mapping). Such stages were fitted
/// on the coordinates of one encoder; a retrained encoder has another latent basis. The rule is
/// deliberately conservative: ML.NET transformers do not say which columns they were fitted on.
/// </summary>
internal static class LatentConsumers
{
    /// <summary>The transformers of <paramref name="pipeline"/> in order, nested chains flattened.</summary>
    public static IEnumerable<ITransformer> Flatten(ITransformer pipeline)
    {
        var type = pipeline.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(TransformerChain<>))
        {
            return ((IEnumerable<ITransformer>)pipeline).SelectMany(Flatten);
        }

        return [pipeline];
    }

    /// <summary>The latent-producing AeOnnx transformers of <paramref name="pipeline"/> that later non-AeOnnx stages come after.</summary>
    public static HashSet<AutoencoderTransformer> Find(ITransformer pipeline)
    {
        var stages = Flatten(pipeline).ToArray();
        var found = new HashSet<AutoencoderTransformer>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < stages.Length; i++)
        {
            if (stages[i] is AutoencoderTransformer { Spec.Kind: OperationKind.Encode or OperationKind.Interpolate } latent
                && stages.Skip(i + 1).Any(s => s is not AutoencoderTransformer))
            {
                found.Add(latent);
            }
        }

        return found;
    }
}
