using Microsoft.ML;

namespace AeOnnx.ML.Internal;

/// <summary>
/// Collects the AeOnnx transformers that ML.NET's <c>Model.Save</c> visits during one
/// <see cref="AeOnnxCatalog.SaveWithAeOnnx(MLContext, ITransformer, DataViewSchema, string, AeOnnxSaveOptions?)"/>
/// call on this thread, so their payload can be written into the zip afterwards. Outside such a call
/// saving is refused: a zip without the payload could not be loaded.
/// </summary>
internal sealed class SaveSession : IDisposable
{
    [ThreadStatic]
    private static SaveSession? _current;

    private readonly SaveSession? _outer;

    private SaveSession()
    {
        _outer = _current;
        _current = this;
    }

    public List<AutoencoderTransformer> Transformers { get; } = [];

    public static SaveSession Begin() => new();

    public static ITransformer Record(AutoencoderTransformer transformer)
    {
        var session = _current ?? throw new NotSupportedException(
            $"AeOnnx column '{transformer.OutputColumnName}': save pipelines that contain AeOnnx transformers with mlContext.SaveWithAeOnnx(model, schema, path) " +
            "(it writes the AeOnnx payload into the zip, which mlContext.Model.Save cannot), and load them with mlContext.LoadWithAeOnnx(path, out schema).");
        session.Transformers.Add(transformer);
        return SaveForm.Create(transformer.Spec.ContractName);
    }

    public void Dispose() => _current = _outer;
}
