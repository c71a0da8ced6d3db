using AeOnnx.ML.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML;

/// <summary>
/// Estimator for the AeOnnx column mappings created by <see cref="AutoencoderTransforms"/>. It trains
/// nothing: <see cref="Fit(IDataView)"/> checks the input columns (name, type, vector size), records
/// the model's identity and shapes, and returns an <see cref="AutoencoderTransformer"/>.
/// </summary>
public sealed class AutoencoderEstimator : IEstimator<AutoencoderTransformer>
{
    private readonly MappingSpec _template;
    private readonly ModelSource? _source;
    private readonly ILogger? _logger;
    private readonly string _stage;

    internal AutoencoderEstimator(MappingSpec template, ModelSource? source, ILogger? logger, string stage)
    {
        _template = template;
        _source = source;
        _logger = logger;
        _stage = stage;
    }

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
            var size = first?.Type is VectorDataViewType { Size: > 0 } v ? v.Size : -1;
            if (size < 0)
            {
                ColumnChecks.Check(input.Schema, spec.InputColumns[0], -1, "a latent", _stage);
            }

            spec = spec with { InputSize = size, OutputSize = size };
        }
        else
        {
            using var lease = _source!.Acquire();
            var model = lease.Model;
            var column = input.Schema.GetColumnOrNull(spec.InputColumns[0]);
            var form = column is null ? MappingInput.Vector : ColumnChecks.Classify(column.Value.Type);
            if (spec.Kind == OperationKind.LoadImages)
            {
                form = form == MappingInput.Image ? MappingInput.Image : MappingInput.Path;
            }
            else if (spec.Kind == OperationKind.Decode || form == MappingInput.Path)
            {
                form = MappingInput.Vector;
            }

            var (inSize, outSize) = ModelBinding.Sizes(spec.Kind, form, model);
            spec = ModelBinding.Describe(spec with { Input = form, InputSize = inSize, OutputSize = outSize }, model);
        }

        var transformer = new AutoencoderTransformer(new Operation(spec, _source, _logger), _stage);
        transformer.CheckInputs(input.Schema);
        return transformer;
    }

    /// <summary>Schema propagation: checks that the input columns exist with the right kind and adds the output column (and the error column when asked for).</summary>
    /// <param name="inputSchema">The input shape.</param>
    /// <returns>The output shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or of the wrong kind (sizes are checked by <see cref="Fit(IDataView)"/>).</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Autoencoder? model = null;
        if (_source is not null)
        {
            using var lease = _source.Acquire();
            model = lease.Model;
        }

        var why = AutoencoderTransformer.Why(_template, model);
        var size = _template.Kind switch
        {
            OperationKind.Interpolate => -1,
            OperationKind.LoadImages => 0,
            OperationKind.Decode => model!.LatentDim,
            _ => model!.PixelCount,
        };
        var imagesToo = _template.Kind is OperationKind.LoadImages or OperationKind.Encode or OperationKind.Reconstruct or OperationKind.ReconstructionError or OperationKind.AnomalyScore;
        foreach (var column in _template.InputColumns)
        {
            ColumnChecks.Check(inputSchema, column, size, why, _stage, imagesToo);
        }

        var outSize = _template.Kind is OperationKind.ReconstructionError or OperationKind.AnomalyScore ? 0 : 1;
        var shape = SchemaShapes.AddColumn(inputSchema, _template.OutputColumn, outSize != 0);
        return _template.HasErrorColumn ? SchemaShapes.AddTextColumn(shape, _template.ErrorColumn) : shape;
    }
}
