namespace AeOnnx.ML;

/// <summary>Options for <see cref="AeOnnxCatalog.SaveWithAeOnnx(Microsoft.ML.MLContext, Microsoft.ML.ITransformer, Microsoft.ML.DataViewSchema, string, AeOnnxSaveOptions?)"/>.</summary>
public sealed class AeOnnxSaveOptions
{
    /// <summary>
    /// Copy each model folder's manifest and graphs into the zip (entries under <c>AeOnnx/models/</c>),
    /// so the saved pipeline is self-contained: it loads where the folder does not exist. Default false
    /// (the zip records the model's name, SHA-256s and its folder relative to the zip's folder).
    /// </summary>
    public bool EmbedModels { get; set; }
}
