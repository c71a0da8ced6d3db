using AeOnnx.ML.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML;

/// <summary>
/// The fitted form of an <see cref="AutoencoderEstimator"/>: adds one column computed by an AeOnnx
/// model (or by latent math), and under <see cref="AutoencoderBadImageHandling.ErrorColumn"/> an
/// error text column. Over an <see cref="IDataView"/> it runs the model in batches of
/// <see cref="AutoencoderColumnOptions.BatchSize"/> rows while keeping ML.NET's lazy cursor
/// semantics; as a row-to-row mapper (PredictionEngine) it runs one row per call.
/// </summary>
/// <remarks>
/// The transformer records its model's identity and shapes at fit time and checks every model
/// instance it gets against them under its <see cref="ModelPolicy"/> before computing a row.
/// Save it with <see cref="AeOnnxCatalog.SaveWithAeOnnx(MLContext, ITransformer, DataViewSchema, string, AeOnnxSaveOptions?)"/>;
/// load with <see cref="AeOnnxCatalog.LoadWithAeOnnx(MLContext, string, out DataViewSchema, AeOnnxLoadOptions?)"/>.
/// The transformer owns no sessions (see <see cref="AeOnnxModelCache"/>, or the host it is bound to
/// with <see cref="AutoencoderModelBinding"/>).
/// </remarks>
public sealed class AutoencoderTransformer : ITransformer
{
    private readonly Operation _operation;

    internal AutoencoderTransformer(Operation operation, string stage)
    {
        _operation = operation;
        Stage = stage;
    }

    internal MappingSpec Spec => _operation.Spec;

    internal Operation Operation => _operation;

    internal string Stage { get; }

    /// <summary>The column this transformer adds.</summary>
    public string OutputColumnName => Spec.OutputColumn;

    /// <summary>The text column it adds under <see cref="AutoencoderBadImageHandling.ErrorColumn"/>; null otherwise.</summary>
    public string? ErrorColumnName => Spec.HasErrorColumn ? Spec.ErrorColumn : null;

    /// <summary>The columns it reads.</summary>
    public IReadOnlyList<string> InputColumnNames => Spec.InputColumns;

    /// <summary>The device the model's graphs run on (never Auto: the provider actually chosen); null for latent interpolation, which runs no model.</summary>
    public Device? ModelDevice => _operation.Model?.Device;

    /// <summary>The policy the transformer checks each model instance with.</summary>
    public AutoencoderModelPolicy ModelPolicy => Spec.Policy;

    /// <summary>The manifest name and encoder+decoder SHA-256 recorded at fit time (empty for latent interpolation).</summary>
    public string ModelIdentity => Spec.NeedsModel ? $"{Spec.ModelName} {Spec.ModelIdentity}" : "";

    /// <summary>Distinct rows (by ML.NET row id) left out so far under <see cref="AutoencoderBadImageHandling.Skip"/>, over every view and cursor of this transformer.</summary>
    public long SkippedRowCount => _operation.SkippedRows;

    /// <summary>
    /// True: every AeOnnx transformer maps single rows (a <c>PredictionEngine</c>). Under
    /// <see cref="AutoencoderBadImageHandling.Skip"/>, which filters bad rows out of a data view, a single
    /// prediction of a bad image cannot be left out, so it throws an <see cref="InvalidOperationException"/>
    /// saying so (its inner exception the core's <see cref="AeOnnx.Imaging.ImageLoadException"/>).
    /// </summary>
    public bool IsRowToRowMapper => true;

    /// <summary>Checks the input columns (name, type, vector size) and returns the output schema.</summary>
    /// <param name="inputSchema">The schema of the data to transform.</param>
    /// <returns>The input columns plus the added column(s).</returns>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or has the wrong type or size; the message names the column, the expected and the found type.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckInputs(inputSchema);
        return BuildOutputSchema(inputSchema);
    }

    /// <summary>Lazily adds the output column; the model runs as cursors move, in batches.</summary>
    /// <param name="input">The data.</param>
    /// <returns>A view with the added column(s).</returns>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var indices = CheckInputs(input.Schema);
        return new BatchedDataView(input, _operation, BuildOutputSchema(input.Schema), indices, Math.Max(1, Spec.BatchSize));
    }

    /// <summary>A row-to-row mapper that runs one row per model call.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The mapper.</returns>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var indices = CheckInputs(inputSchema);
        return new SingleRowMapper(inputSchema, BuildOutputSchema(inputSchema), _operation, indices);
    }

    /// <summary>A transformer with the same schema whose model comes from <paramref name="source"/>, its spec edited (policy, latent-basis flags).</summary>
    internal AutoencoderTransformer WithSource(ModelSource source, ILogger? logger, Func<MappingSpec, MappingSpec> edit) =>
        new(new Operation(edit(Spec), source, logger ?? _operation.Logger), Stage);

    /// <summary>The same transformer (same model source) with its spec edited.</summary>
    internal AutoencoderTransformer WithSpec(Func<MappingSpec, MappingSpec> edit) =>
        new(new Operation(edit(Spec), _operation.Source, _operation.Logger), Stage);

    /// <summary>Writes this transformer as an ML.NET <c>CustomMapping</c> under a <see cref="AeOnnxCatalog.SaveWithAeOnnx(MLContext, ITransformer, DataViewSchema, string, AeOnnxSaveOptions?)"/> call.</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx) => SaveSession.Record(this).Save(ctx);

    internal int[] CheckInputs(DataViewSchema schema)
    {
        if (Spec.Input == MappingInput.Image)
        {
            return [ColumnChecks.CheckImage(schema, Spec.InputColumns[0], Stage)];
        }

        var why = Why(Spec, null);
        return Spec.InputColumns.Select(c => ColumnChecks.Check(schema, c, Spec.InputSize, why, Stage)).ToArray();
    }

    internal static string? Why(MappingSpec spec, Autoencoder? model)
    {
        var name = model?.Name ?? spec.ModelName;
        return spec.Kind switch
        {
            OperationKind.Interpolate => "a latent of the size the interpolation was fitted on",
            OperationKind.LoadImages => "image file paths",
            OperationKind.Decode => $"model '{name}' latent, D = {model?.LatentDim ?? spec.InputSize}",
            _ when model is not null => $"model '{name}' input {model.Channels}×{model.Height}×{model.Width}, normalized",
            _ when spec.Channels > 0 => $"model '{name}' input {spec.Channels}×{spec.Height}×{spec.Width}, normalized",
            _ => $"model '{name}' input, normalized",
        };
    }

    private DataViewSchema BuildOutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(Spec.OutputColumn, Spec.OutputSize == 0
            ? NumberDataViewType.Single
            : new VectorDataViewType(NumberDataViewType.Single, Spec.OutputSize));
        if (Spec.HasErrorColumn)
        {
            builder.AddColumn(Spec.ErrorColumn, TextDataViewType.Instance);
        }

        return builder.ToSchema();
    }
}
