using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>
/// The output of an <see cref="AutoencoderTransformer"/>: the input columns plus the computed
/// column (and, under <see cref="AutoencoderBadImageHandling.ErrorColumn"/>, the error text column).
/// Rows are computed in batches: a second "look-ahead" cursor over the same input, in the same
/// order, reads the next N rows' input column, runs one batched ONNX Runtime call, and the main
/// cursor then serves those results while it passes every other column through unchanged. Under
/// <see cref="AutoencoderBadImageHandling.Skip"/> the main cursor steps over the rows the batch
/// found bad. Lazy like every IDataView: nothing runs until a cursor moves.
/// </summary>
internal sealed class BatchedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly Operation _operation;
    private readonly int[] _inputIndices;
    private readonly int _batchSize;

    public BatchedDataView(IDataView input, Operation operation, DataViewSchema outputSchema, int[] inputIndices, int batchSize)
    {
        _input = input;
        _operation = operation;
        Schema = outputSchema;
        _inputIndices = inputIndices;
        _batchSize = batchSize;
    }

    public bool CanShuffle => _input.CanShuffle;

    public DataViewSchema Schema { get; }

    private int OutputIndex => _input.Schema.Count;

    private int ErrorIndex => _operation.Spec.HasErrorColumn ? _input.Schema.Count + 1 : -1;

    private bool Filters => _operation.Spec.BadImages == AutoencoderBadImageHandling.Skip;

    public long? GetRowCount() => Filters ? null : _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToArray();
        // A filtering mapping must compute every row to know which rows exist.
        var outputActive = Filters || needed.Any(c => c.Index == OutputIndex || c.Index == ErrorIndex);
        var passThrough = needed.Where(c => c.Index < OutputIndex).Select(c => _input.Schema[c.Index]).ToArray();
        // Row order must depend only on `rand`'s state, whichever columns are asked for: every
        // path draws one seed and gives each input cursor its own generator made from it.
        var seed = rand?.Next();
        if (!outputActive)
        {
            return new Cursor(this, _input.GetRowCursor(passThrough, seed is null ? null : new Random(seed.Value)), null, false, []);
        }

        // The vector or path input column(s) are read by the look-ahead cursor anyway; serve them
        // from its buffer instead of asking the main cursor, so an upstream model does not run twice
        // for them. Images are not served: ML.NET image getters dispose what they are handed back.
        var served = _operation.Spec.Input == MappingInput.Image
            ? []
            : passThrough.Where(c => _inputIndices.Contains(c.Index)).Select(c => c.Index).ToHashSet();
        passThrough = passThrough.Where(c => !served.Contains(c.Index)).ToArray();

        // Both cursors must visit the rows in the same order: give them equal generators.
        var main = _input.GetRowCursor(passThrough, seed is null ? null : new Random(seed.Value));
        var sources = _inputIndices.Select(i => _input.Schema[i]).ToArray();
        var ahead = _input.GetRowCursor(sources, seed is null ? null : new Random(seed.Value));
        return new Cursor(this, main, ahead, true, served);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedDataView _parent;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _ahead;
        private readonly bool _outputActive;
        private readonly InputReader? _reader;
        private readonly BatchInput _batch;
        private readonly float[] _results;
        private readonly string?[]? _errors;
        private readonly int _width;
        private readonly HashSet<int> _served;
        private readonly ValueGetter<DataViewRowId>? _rowId;

        // The bound pipeline's pin when this cursor was made inside one: the whole pass (every row of
        // every batch) then uses the one model generation it holds.
        private readonly ModelPin? _pin = ModelPin.Building;
        private int _count;
        private int _index = -1;
        private long _position = -1;
        private bool _aheadDone;

        public Cursor(BatchedDataView parent, DataViewRowCursor main, DataViewRowCursor? ahead, bool outputActive, HashSet<int> served)
        {
            _served = served;
            _parent = parent;
            _main = main;
            _ahead = ahead;
            _outputActive = outputActive;
            var spec = parent._operation.Spec;
            var batch = parent._batchSize;
            _width = Math.Max(1, spec.OutputSize);
            _batch = new BatchInput(spec, outputActive ? batch : 0);
            _results = outputActive ? new float[batch * _width] : [];
            _errors = outputActive && spec.BadImages != AutoencoderBadImageHandling.Throw ? new string?[batch] : null;
            if (ahead is not null)
            {
                _reader = new InputReader(ahead, spec, parent._inputIndices);
            }

            _rowId = parent.Filters && outputActive ? main.GetIdGetter() : null;
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _parent.Filters ? _position : _main.Position;

        public override long Batch => _main.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index == _parent.OutputIndex || column.Index == _parent.ErrorIndex ? _outputActive
            : _served.Contains(column.Index) || _main.IsColumnActive(_parent._input.Schema[column.Index]);

        public override bool MoveNext()
        {
            while (true)
            {
                if (!_main.MoveNext())
                {
                    return false;
                }

                if (_outputActive && ++_index >= _count)
                {
                    Fill();
                }

                if (_parent.Filters && _errors![_index] is { } reason)
                {
                    DataViewRowId id = default;
                    _rowId!(ref id);
                    _parent._operation.CountSkipped(id, reason);
                    continue;
                }

                _position++;
                return true;
            }
        }

        private void Fill()
        {
            var n = 0;
            try
            {
                while (!_aheadDone && n < _parent._batchSize)
                {
                    if (!_ahead!.MoveNext())
                    {
                        _aheadDone = true;
                        break;
                    }

                    _reader!.Read(n, _batch);
                    n++;
                }

                if (n == 0)
                {
                    throw new InvalidOperationException("AeOnnx: the look-ahead cursor ran out of rows before the main cursor; the input data view is not repeatable.");
                }

                _parent._operation.Compute(_batch, n, _results, _errors, _pin);
            }
            finally
            {
                InputReader.ReleaseImages(_batch, n);
            }

            _count = n;
            _index = 0;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (_served.Contains(column.Index))
            {
                return ServedInput<TValue>(column);
            }

            if (column.Index < _parent.OutputIndex)
            {
                return _main.GetGetter<TValue>(_parent._input.Schema[column.Index]);
            }

            if (!_outputActive)
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            }

            Delegate getter = column.Index == _parent.ErrorIndex
                ? (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = (_errors![CheckedIndex()] ?? "").AsMemory())
                : _parent._operation.Spec.OutputSize == 0
                ? (ValueGetter<float>)((ref float value) => value = _results[CheckedIndex()])
                : (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    var i = CheckedIndex();
                    var editor = VBufferEditor.Create(ref value, _width);
                    _results.AsSpan(i * _width, _width).CopyTo(editor.Values);
                    value = editor.Commit();
                });
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        private ValueGetter<TValue> ServedInput<TValue>(DataViewSchema.Column column)
        {
            var spec = _parent._operation.Spec;
            Delegate getter;
            if (spec.Input == MappingInput.Path)
            {
                getter = (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = _batch.Paths[CheckedIndex()].AsMemory());
            }
            else
            {
                // Interpolation may read two columns; the second buffer serves the second column.
                var buffer = column.Index == _parent._inputIndices[0] ? _batch.First : _batch.Second;
                var size = spec.InputSize;
                getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    var i = CheckedIndex();
                    var editor = VBufferEditor.Create(ref value, size);
                    buffer.AsSpan(i * size, size).CopyTo(editor.Values);
                    value = editor.Commit();
                });
            }

            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        private int CheckedIndex()
        {
            if (_index < 0 || _index >= _count)
            {
                throw new InvalidOperationException("The cursor is not on a row.");
            }

            return _index;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _main.Dispose();
                _ahead?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
