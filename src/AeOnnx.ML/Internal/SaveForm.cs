using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>
/// What an <see cref="AutoencoderTransformer"/> writes into an ML.NET model zip: an ML.NET
/// <c>CustomMapping</c> transformer whose contract name is the <see cref="MappingSpec"/>. ML.NET
/// saves only that name; at load time <see cref="LoadTimeRegistry"/> has emitted a factory class
/// registered under exactly that name, with the column names and vector sizes baked into its row
/// types, so the loaded mapping has the same schema (known vector sizes included).
/// </summary>
internal static class SaveForm
{
    private static readonly MLContext Context = new(seed: 0);

    public static ITransformer Create(MappingSpec spec)
    {
        var empty = Context.Data.LoadFromEnumerable(new List<SaveInput>());
        return Context.Transforms.CustomMapping<SaveInput, SaveOutput>(static (_, _) => { }, spec.ToContractName()).Fit(empty);
    }

    internal sealed class SaveInput
    {
    }

    internal sealed class SaveOutput
    {
        public float Unused { get; set; }
    }
}
