using AeOnnx.Imaging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>
/// Row-to-row form of an <see cref="AutoencoderTransformer"/> (for PredictionEngine): one row, one
/// batch-of-one call, computed when the output is first read at a new position.
/// </summary>
internal sealed class SingleRowMapper : IRowToRowMapper
{
    private readonly Operation _operation;
    private readonly int[] _inputIndices;

    public SingleRowMapper(DataViewSchema inputSchema, DataViewSchema outputSchema, Operation operation, int[] inputIndices)
    {
        InputSchema = inputSchema;
        OutputSchema = outputSchema;
        _operation = operation;
        _inputIndices = inputIndices;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    private int OutputIndex => InputSchema.Count;

    private int ErrorIndex => _operation.Spec.HasErrorColumn ? InputSchema.Count + 1 : -1;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var result = new HashSet<int>();
        foreach (var c in dependingColumns)
        {
            if (c.Index == OutputIndex || c.Index == ErrorIndex)
            {
                result.UnionWith(_inputIndices);
            }
            else
            {
                result.Add(c.Index);
            }
        }

        return result.Order().Select(i => InputSchema[i]).ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        var outputActive = activeColumns.Any(c => c.Index == OutputIndex || c.Index == ErrorIndex);
        return new Row(this, input, outputActive);
    }

    private sealed class Row : DataViewRow
    {
        private readonly SingleRowMapper _parent;
        private readonly DataViewRow _input;
        private readonly bool _outputActive;
        private readonly InputReader? _reader;
        private readonly BatchInput _batch;
        private readonly float[] _result;
        private readonly string?[]? _errors;

        // The bound pipeline's pin when this row was built inside one: every AeOnnx column of a
        // prediction then comes from the one model generation it holds.
        private readonly ModelPin? _pin = ModelPin.Building;
        private long _computedAt = -1;

        public Row(SingleRowMapper parent, DataViewRow input, bool outputActive)
        {
            _parent = parent;
            _input = input;
            _outputActive = outputActive;
            var spec = parent._operation.Spec;
            _batch = new BatchInput(spec, 1);
            _result = new float[Math.Max(1, spec.OutputSize)];
            // Skip cannot leave a single prediction out: a bad image throws there, as under Throw (Ensure says why).
            _errors = spec.BadImages == AutoencoderBadImageHandling.ErrorColumn ? new string?[1] : null;
            if (outputActive)
            {
                _reader = new InputReader(input, spec, parent._inputIndices);
            }
        }

        public override DataViewSchema Schema => _parent.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index == _parent.OutputIndex || column.Index == _parent.ErrorIndex ? _outputActive : _input.IsColumnActive(_parent.InputSchema[column.Index]);

        private void Ensure()
        {
            if (_computedAt == _input.Position && _computedAt >= 0)
            {
                return;
            }

            try
            {
                _reader!.Read(0, _batch);
                _parent._operation.Compute(_batch, 1, _result, _errors, _pin, _input.Position);
            }
            catch (ImageLoadException e) when (_parent._operation.Spec.BadImages == AutoencoderBadImageHandling.Skip)
            {
                throw new InvalidOperationException(
                    $"AeOnnx column '{_parent._operation.Spec.OutputColumn}': {e.Message}. BadImages = Skip leaves bad rows out of a data view, " +
                    "but a prediction engine returns one row per input, so this prediction fails instead: catch the exception per prediction, " +
                    "or use BadImages = ErrorColumn to get the row with NaN values and the reason.",
                    e);
            }
            finally
            {
                InputReader.ReleaseImages(_batch, 1);
            }

            _computedAt = _input.Position;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _parent.OutputIndex)
            {
                return _input.GetGetter<TValue>(_parent.InputSchema[column.Index]);
            }

            if (!_outputActive)
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            }

            Delegate getter = column.Index == _parent.ErrorIndex
                ? (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) =>
                {
                    Ensure();
                    value = (_errors![0] ?? "").AsMemory();
                })
                : _parent._operation.Spec.OutputSize == 0
                ? (ValueGetter<float>)((ref float value) =>
                {
                    Ensure();
                    value = _result[0];
                })
                : (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    Ensure();
                    var editor = VBufferEditor.Create(ref value, _result.Length);
                    _result.AsSpan().CopyTo(editor.Values);
                    value = editor.Commit();
                });
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }
    }
}
