namespace AeOnnx.ML;

/// <summary>What an image-reading AeOnnx transformer does with an image it cannot read (missing, corrupt, over the limits, unsupported).</summary>
public enum AutoencoderBadImageHandling
{
    /// <summary>Default: the cursor throws the core's <see cref="Imaging.ImageLoadException"/> naming the file and the reason.</summary>
    Throw,

    /// <summary>
    /// The row is left out of the output (a filter, as ML.NET's filters do: row count unknown ahead,
    /// no PredictionEngine); each skipped row is counted in <see cref="AutoencoderTransformer.SkippedRowCount"/>
    /// and logged.
    /// </summary>
    Skip,

    /// <summary>
    /// The row stays; its output vector is NaN and a text column (default <c>ErrorMessage</c>) says
    /// why; good rows get an empty message. Downstream AeOnnx transformers pass NaN rows through as NaN.
    /// </summary>
    ErrorColumn,
}
