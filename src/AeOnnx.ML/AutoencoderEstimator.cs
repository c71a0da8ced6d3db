using AeOnnx.ML.Internal;
using Microsoft.ML;

namespace AeOnnx.ML;

/// <summary>
/// Estimator for the AeOnnx column mappings created by <see cref="AeOnnxCatalog"/>. It trains
/// nothing: <see cref="Fit(IDataView)"/> checks the input columns (name, type, vector size) and
/// returns an <see cref="AutoencoderTransformer"/>.
/// </summary>
public sealed class AutoencoderEstimator : IEstimator<AutoencoderTransformer>
{
    private readonly MappingSpec _template;
    private readonly Device _device;
    private readonly string _stage;

    internal AutoencoderEstimator(MappingSpec template, Device device, string stage)
    {
        _template = template;
        _device = device;
        _stage = stage;
    }

    private Operation NewOperation(MappingSpec spec) =>
        new(spec, spec.NeedsModel ? spec.ModelDirectory : null, _device);

    /// <summary>Checks the input columns and returns the transformer.</summary>
    /// <param name="input">Data whose schema the transformer will be applied to (no rows are read).</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or has the wrong type or size.</exception>
    public AutoencoderTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var spec = _template;
        if (spec.Kind == OperationKind.Interpolate)
        {
            // The latent size is whatever the first column has; the second must match it.
            var first = input.Schema.GetColumnOrNull(spec.InputColumns[0]);
            var size = first?.Type is Microsoft.ML.Data.VectorDataViewType { Size: > 0 } v ? v.Size : -1;
            if (size < 0)
            {
                ColumnChecks.Check(input.Schema, spec.InputColumns[0], -1, "a latent", _stage);
            }

            spec = spec with { InputSize = size, OutputSize = size };
        }

        var transformer = new AutoencoderTransformer(NewOperation(spec), _stage);
        transformer.CheckInputs(input.Schema);
        return transformer;
    }

    /// <summary>Schema propagation: checks that the input columns exist with the right kind and adds the output column.</summary>
    /// <param name="inputSchema">The input shape.</param>
    /// <returns>The output shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or of the wrong kind (sizes are checked by <see cref="Fit(IDataView)"/>).</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var why = AutoencoderTransformer.Why(_template, NewOperation(_template).Model);
        var size = _template.Kind == OperationKind.Interpolate ? -1 : _template.InputSize;
        foreach (var column in _template.InputColumns)
        {
            ColumnChecks.Check(inputSchema, column, size, why, _stage);
        }

        return SchemaShapes.AddColumn(inputSchema, _template.OutputColumn, _template.OutputSize != 0);
    }
}
