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
/// <remarks>
/// Three buffers: while the consumer goes through one, the next is computed on pool threads and the
/// one after is read (reads follow one another on the look-ahead cursor; each batch is computed as
/// soon as it is read). In a chain (<c>LoadImages → Encode</c>) each stage does so, so decoding,
/// reading and the encoder overlap, as the core's folder pipeline overlaps its stages. A failure of a
/// batch read ahead (an <c>ImageLoadException</c> under Throw) surfaces when the consumer reaches that
/// batch, as without the read-ahead. Each buffer holds as many model batches as the model runs at once
/// (<see cref="Operation.RunsAtOnce(ModelPin?)"/>: one per core for single-threaded CPU sessions),
/// computed in parallel.
/// </remarks>
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
        private readonly int _width;
        private readonly HashSet<int> _served;
        private readonly ValueGetter<DataViewRowId>? _rowId;

        // The bound pipeline's pin when this cursor was made inside one: the whole pass (every row of
        // every batch) then uses the one model generation it holds.
        private readonly ModelPin? _pin = ModelPin.Building;
        private readonly Queue<(Buffer Buffer, Task Done)> _inFlight = new();
        private readonly Stack<Buffer> _free = new();
        private Buffer _current;
        private bool _sized;
        private int _rows;
        private Task _lastRead = Task.CompletedTask;
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
            _width = Math.Max(1, spec.OutputSize);

            // The batches are sized at the first Fill, when the model is first needed (so a refused model
            // is reported by MoveNext, as every other model error is).
            _current = new Buffer(spec, 0, _width, false);
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

                if (_outputActive && ++_index >= _current.Count)
                {
                    Fill();
                }

                if (_parent.Filters && _current.Errors![_index] is { } reason)
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
            if (!_sized)
            {
                // A buffer holds as many batches as the model runs at once (one per core for single-threaded
                // CPU sessions): the operation runs them in parallel, as the core's folder pipeline does.
                // Three buffers: one served, one computed, one read meanwhile.
                var spec = _parent._operation.Spec;
                _rows = _parent._batchSize * _parent._operation.RunsAtOnce(_pin);
                for (var i = 0; i < 3; i++)
                {
                    _free.Push(new Buffer(spec, _rows, _width, true));
                }

                _sized = true;
            }
            else
            {
                // Every row of the current buffer was served: it can be filled again.
                _free.Push(_current);
            }

            TopUp();
            if (!_inFlight.TryDequeue(out var next))
            {
                throw NotRepeatable();
            }

            try
            {
                // A failure of this batch (or of reading it) surfaces here, when the consumer reaches it.
                next.Done.GetAwaiter().GetResult();
            }
            catch
            {
                _free.Push(next.Buffer);
                throw;
            }

            _current = next.Buffer;
            _index = 0;
            if (_current.Count == 0)
            {
                throw NotRepeatable();
            }

            TopUp();
        }

        private static InvalidOperationException NotRepeatable() =>
            new("AeOnnx: the look-ahead cursor ran out of rows before the main cursor; the input data view is not repeatable.");

        /// <summary>
        /// Starts reading and computing a batch into every free buffer. Reads follow one another (one cursor);
        /// a batch is computed as soon as it is read, so the next read overlaps the running computation.
        /// </summary>
        private void TopUp()
        {
            while (!Volatile.Read(ref _aheadDone) && _free.TryPop(out var buffer))
            {
                var read = _lastRead.ContinueWith(
                    previous =>
                    {
                        buffer.Read = 0;
                        buffer.Count = 0;

                        // After a failed read the cursor's position is unknown: nothing more is read.
                        previous.GetAwaiter().GetResult();
                        Read(buffer);
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default);
                var done = read.ContinueWith(
                    r =>
                    {
                        try
                        {
                            r.GetAwaiter().GetResult();
                            Compute(buffer);
                        }
                        finally
                        {
                            InputReader.ReleaseImages(buffer.Input, buffer.Read);
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default);
                _lastRead = read;
                _inFlight.Enqueue((buffer, done));
            }
        }

        /// <summary>Reads the next rows of the look-ahead cursor into <paramref name="buffer"/> (one read at a time, in order).</summary>
        private void Read(Buffer buffer)
        {
            while (!_aheadDone && buffer.Read < _rows)
            {
                if (!_ahead!.MoveNext())
                {
                    Volatile.Write(ref _aheadDone, true);
                    break;
                }

                _reader!.Read(buffer.Read, buffer.Input);
                buffer.Read++;
            }
        }

        /// <summary>Runs the model on the rows read into <paramref name="buffer"/>.</summary>
        private void Compute(Buffer buffer)
        {
            if (buffer.Read > 0)
            {
                _parent._operation.Compute(buffer.Input, buffer.Read, buffer.Results, buffer.Errors, _pin);
            }

            buffer.Count = buffer.Read;
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
                ? (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = (_current.Errors![CheckedIndex()] ?? "").AsMemory())
                : _parent._operation.Spec.OutputSize == 0
                ? (ValueGetter<float>)((ref float value) => value = _current.Results[CheckedIndex()])
                : (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    var i = CheckedIndex();
                    var editor = VBufferEditor.Create(ref value, _width);
                    _current.Results.AsSpan(i * _width, _width).CopyTo(editor.Values);
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
                getter = (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = _current.Input.Paths[CheckedIndex()].AsMemory());
            }
            else
            {
                // Interpolation may read two columns; the second buffer serves the second column.
                var first = column.Index == _parent._inputIndices[0];
                var size = spec.InputSize;
                getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    var i = CheckedIndex();
                    var editor = VBufferEditor.Create(ref value, size);
                    (first ? _current.Input.First : _current.Input.Second).AsSpan(i * size, size).CopyTo(editor.Values);
                    value = editor.Commit();
                });
            }

            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        private int CheckedIndex()
        {
            if (_index < 0 || _index >= _current.Count)
            {
                throw new InvalidOperationException("The cursor is not on a row.");
            }

            return _index;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // The look-ahead cursor may be in use by a read ahead: let every batch in flight finish
                // first (a consumer that stops early never sees those batches, nor their failures).
                while (_inFlight.TryDequeue(out var pending))
                {
                    try
                    {
                        pending.Done.GetAwaiter().GetResult();
                    }
                    catch (Exception)
                    {
                        // A batch nobody asked for failed; the consumer stopped before it.
                    }
                }

                _main.Dispose();
                _ahead?.Dispose();
            }

            base.Dispose(disposing);
        }

        /// <summary>One batch: its inputs, results, errors and row count.</summary>
        private sealed class Buffer(MappingSpec spec, int batch, int width, bool active)
        {
            public BatchInput Input { get; } = new(spec, batch);

            public float[] Results { get; } = active ? new float[batch * width] : [];

            public string?[]? Errors { get; } = active && spec.BadImages != AutoencoderBadImageHandling.Throw ? new string?[batch] : null;

            /// <summary>Rows read into the buffer.</summary>
            public int Read { get; set; }

            /// <summary>Rows computed and ready to serve.</summary>
            public int Count { get; set; }
        }
    }
}
