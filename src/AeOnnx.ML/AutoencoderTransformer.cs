using AeOnnx.ML.Internal;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML;

/// <summary>
/// The fitted form of an <see cref="AutoencoderEstimator"/>: adds one column computed by an AeOnnx
/// model (or by latent math). Over an <see cref="IDataView"/> it runs the model in batches of
/// <see cref="AutoencoderColumnOptions.BatchSize"/> rows while keeping ML.NET's lazy cursor
/// semantics; as a row-to-row mapper (PredictionEngine) it runs one row per call.
/// </summary>
/// <remarks>
/// Saving: <c>mlContext.Model.Save</c> stores this transformer as an ML.NET <c>CustomMapping</c>
/// whose contract name describes the mapping (kind, columns, sizes, model folder, graph SHA-256,
/// device). Before <c>mlContext.Model.Load</c>, call
/// <see cref="AeOnnxCatalog.RegisterAeOnnx(Microsoft.ML.Runtime.ComponentCatalog, string, AeOnnxLoadOptions?)"/> with the
/// saved file. The loaded pipeline gives the same outputs, with the same column types (vector sizes
/// known); it runs one row per model call. The transformer owns no sessions (see <see cref="AeOnnxModelCache"/>).
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

    private string Stage { get; }

    /// <summary>The column this transformer adds.</summary>
    public string OutputColumnName => Spec.OutputColumn;

    /// <summary>The columns it reads.</summary>
    public IReadOnlyList<string> InputColumnNames => Spec.InputColumns;

    /// <summary>The device the model's graphs run on (never Auto: the provider actually chosen); null for latent interpolation, which runs no model.</summary>
    public Device? ModelDevice => _operation.Model?.Device;

    /// <summary>Always true: the transformer can also map single rows (PredictionEngine).</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>Checks the input columns (name, type, vector size) and returns the output schema.</summary>
    /// <param name="inputSchema">The schema of the data to transform.</param>
    /// <returns>The input columns plus the added column.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or has the wrong type or size; the message names the column, the expected and the found type.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckInputs(inputSchema);
        return BuildOutputSchema(inputSchema);
    }

    /// <summary>Lazily adds the output column; the model runs as cursors move, in batches.</summary>
    /// <param name="input">The data.</param>
    /// <returns>A view with the added column.</returns>
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

    /// <summary>Writes this transformer as an ML.NET <c>CustomMapping</c> (see the remarks on loading).</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx) => SaveForm.Create(Spec).Save(ctx);

    internal int[] CheckInputs(DataViewSchema schema)
    {
        var why = Why(Spec, _operation.Model);
        return Spec.InputColumns.Select(c => ColumnChecks.Check(schema, c, Spec.InputSize, why, Stage)).ToArray();
    }

    internal static string? Why(MappingSpec spec, Autoencoder? model)
    {
        if (model is null)
        {
            return spec.Kind == OperationKind.Interpolate ? "a latent of the size the interpolation was fitted on" : null;
        }

        return spec.Kind switch
        {
            OperationKind.LoadImages => "image file paths",
            OperationKind.Decode => $"model '{model.Name}' latent, D = {model.LatentDim}",
            _ => $"model '{model.Name}' input {model.Channels}×{model.Height}×{model.Width}, normalized",
        };
    }

    private DataViewSchema BuildOutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(Spec.OutputColumn, Spec.OutputSize == 0
            ? NumberDataViewType.Single
            : new VectorDataViewType(NumberDataViewType.Single, Spec.OutputSize));
        return builder.ToSchema();
    }
}
