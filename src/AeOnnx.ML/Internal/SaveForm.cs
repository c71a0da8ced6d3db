using Microsoft.ML;

namespace AeOnnx.ML.Internal;

/// <summary>
/// What an <see cref="AutoencoderTransformer"/> writes through ML.NET's save: an ML.NET
/// <c>CustomMapping</c> transformer whose contract name is <see cref="MappingSpec.ContractName"/>
/// (ML.NET's public API cannot save a custom transformer). The mapping itself is in the zip entry
/// <see cref="PipelinePayload.EntryName"/>; at load time <see cref="LoadTimeRegistry"/> emits a
/// factory registered under exactly that contract name whose row types carry the column names and
/// vector sizes, so the loaded mapping has the same schema (known vector sizes included).
/// </summary>
internal static class SaveForm
{
    private static readonly MLContext Context = new(seed: 0);

    public static ITransformer Create(string contractName)
    {
        var empty = Context.Data.LoadFromEnumerable(new List<SaveInput>());
        return Context.Transforms.CustomMapping<SaveInput, SaveOutput>(static (_, _) => { }, contractName).Fit(empty);
    }

    internal sealed class SaveInput
    {
    }

    internal sealed class SaveOutput
    {
        public float Unused { get; set; }
    }
}
