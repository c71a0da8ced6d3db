using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>
/// The pipeline an <see cref="AutoencoderModelBinding"/> serves right now: its AeOnnx transformers
/// bound to the host, and the row mappers and views made from it (one per input schema or view), so a
/// prediction or a cursor builds them once per pipeline, not once per call.
/// </summary>
internal sealed class BindingState(long version, ITransformer pipeline, AutoencoderTransformer[] bound)
{
    private readonly ConditionalWeakTable<DataViewSchema, IRowToRowMapper> _mappers = new();
    private readonly ConditionalWeakTable<IDataView, IDataView> _views = new();

    /// <summary>0 for the pipeline the binding was made with, +1 for each pipeline swapped in with a model.</summary>
    public long Version { get; } = version;

    public ITransformer Pipeline { get; } = pipeline;

    /// <summary>The AeOnnx transformers that run a model, bound to the host.</summary>
    public AutoencoderTransformer[] Bound { get; } = bound;

    public IRowToRowMapper Mapper(DataViewSchema input) => _mappers.GetValue(input, Pipeline.GetRowToRowMapper);

    public IDataView View(IDataView input) => _views.GetValue(input, Pipeline.Transform);
}
