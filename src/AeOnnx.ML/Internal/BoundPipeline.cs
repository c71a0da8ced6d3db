using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>
/// <see cref="AutoencoderModelBinding.Pipeline"/>: the bound pipeline behind a wrapper that makes one
/// prediction, and one cursor, use one model generation. Row-to-row (PredictionEngine): each row has a
/// pin that takes the binding's current generation (model and pipeline) when the input row moves to the
/// next prediction; every AeOnnx column of that row is computed with it, so a swap between two columns
/// of one prediction cannot mix models. Over an IDataView: each cursor pins one generation for its whole
/// pass. When a refit pipeline was swapped in with its model, rows and cursors switch pipeline and model
/// together at the next prediction or cursor.
/// </summary>
internal sealed class BoundPipeline(ModelSource source, Func<PinnedGeneration> take, Func<BindingState> current) : ITransformer
{
    public bool IsRowToRowMapper => current().Pipeline.IsRowToRowMapper;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => current().Pipeline.GetOutputSchema(inputSchema);

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new PinnedView(this, input, GetOutputSchema(input.Schema));
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new PinnedMapper(this, inputSchema, current().Mapper(inputSchema).OutputSchema);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)current().Pipeline).Save(ctx);

    private BindingState Current => current();

    private ModelPin NewPin(bool forCursor) => new(source, take, forCursor);

    /// <summary>A swapped-in pipeline must give the same columns as the one engines and views were made with.</summary>
    private static void CheckSameSchema(DataViewSchema expected, DataViewSchema found)
    {
        var same = expected.Count == found.Count && expected.Zip(found).All(p => p.First.Name == p.Second.Name && p.First.Type.Equals(p.Second.Type));
        if (!same)
        {
            throw new InvalidOperationException(
                "AeOnnx: the pipeline swapped in with the model gives other output columns than the pipeline this prediction engine or view was made with; make them again from AutoencoderModelBinding.Pipeline.");
        }
    }

    private sealed class PinnedView(BoundPipeline owner, IDataView input, DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => input.CanShuffle;

        public DataViewSchema Schema { get; } = schema;

        public long? GetRowCount() => owner.Current.View(input).GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            var pin = owner.NewPin(forCursor: true);
            try
            {
                var generation = pin.Hold(0);
                var view = generation.State.View(input);
                CheckSameSchema(Schema, view.Schema);
                var needed = columnsNeeded.Select(c => view.Schema[c.Index]).ToArray();
                DataViewRowCursor cursor;
                using (ModelPin.Build(pin))
                {
                    cursor = view.GetRowCursor(needed, rand);
                }

                return new PinnedCursor(cursor, pin, Schema);
            }
            catch
            {
                pin.Dispose();
                throw;
            }
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded, rand)];
    }

    private sealed class PinnedCursor(DataViewRowCursor inner, ModelPin pin, DataViewSchema schema) : DataViewRowCursor
    {
        public override DataViewSchema Schema => schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override bool MoveNext() => inner.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(inner.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(inner.Schema[column.Index]);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                pin.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class PinnedMapper(BoundPipeline owner, DataViewSchema inputSchema, DataViewSchema outputSchema) : IRowToRowMapper
    {
        public DataViewSchema InputSchema { get; } = inputSchema;

        public DataViewSchema OutputSchema { get; } = outputSchema;

        public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        {
            var mapper = owner.Current.Mapper(InputSchema);
            return mapper.GetDependencies(dependingColumns.Select(c => mapper.OutputSchema[c.Index]).ToArray())
                .Select(c => InputSchema[c.Index]).ToArray();
        }

        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
            new PinnedRow(owner, this, input, activeColumns.Select(c => c.Index).ToHashSet());
    }

    /// <summary>
    /// The row a PredictionEngine reads: at the first getter call of each prediction (the input row has
    /// moved) the pin takes the current generation; the inner row chain is rebuilt only when a refit
    /// pipeline came with it.
    /// </summary>
    private sealed class PinnedRow(BoundPipeline owner, PinnedMapper mapper, DataViewRow input, HashSet<int> active) : DataViewRow
    {
        private readonly ModelPin _pin = owner.NewPin(forCursor: false);
        private readonly Dictionary<int, Delegate> _getters = [];
        private DataViewRow? _inner;
        private BindingState? _innerState;

        public override DataViewSchema Schema => mapper.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!active.Contains(column.Index))
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            }

            var index = column.Index;
            return (ref TValue value) =>
            {
                var row = Current();
                if (!_getters.TryGetValue(index, out var getter))
                {
                    getter = row.GetGetter<TValue>(row.Schema[index]);
                    _getters[index] = getter;
                }

                ((ValueGetter<TValue>)getter)(ref value);
            };
        }

        private DataViewRow Current()
        {
            var generation = _pin.Hold(input.Position);
            if (_inner is null || !ReferenceEquals(_innerState, generation.State))
            {
                var inner = generation.State.Mapper(mapper.InputSchema);
                CheckSameSchema(mapper.OutputSchema, inner.OutputSchema);
                _inner?.Dispose();
                _getters.Clear();
                using (ModelPin.Build(_pin))
                {
                    _inner = inner.GetRow(input, active.Select(i => inner.OutputSchema[i]).ToArray());
                }

                _innerState = generation.State;
            }

            return _inner;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner?.Dispose();
                _pin.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
