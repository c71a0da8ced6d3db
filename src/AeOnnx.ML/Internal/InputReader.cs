using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>Reads a mapping's input column(s) of one row into flat buffers.</summary>
internal sealed class InputReader
{
    private readonly ValueGetter<ReadOnlyMemory<char>>? _path;
    private readonly ValueGetter<VBuffer<float>>? _first;
    private readonly ValueGetter<VBuffer<float>>? _second;
    private readonly int _size;
    private ReadOnlyMemory<char> _text;
    private VBuffer<float> _vector;

    public InputReader(DataViewRow row, MappingSpec spec, int[] inputIndices)
    {
        _size = spec.InputSize;
        var schema = row.Schema;
        if (spec.Kind == OperationKind.LoadImages)
        {
            _path = row.GetGetter<ReadOnlyMemory<char>>(schema[inputIndices[0]]);
        }
        else
        {
            _first = row.GetGetter<VBuffer<float>>(schema[inputIndices[0]]);
            if (inputIndices.Length > 1)
            {
                _second = row.GetGetter<VBuffer<float>>(schema[inputIndices[1]]);
            }
        }
    }

    /// <summary>Reads the current row into slot <paramref name="slot"/> of the buffers.</summary>
    public void Read(int slot, string[] paths, float[] first, float[] second)
    {
        if (_path is not null)
        {
            _path(ref _text);
            paths[slot] = _text.ToString();
            return;
        }

        _first!(ref _vector);
        CopyDense(_vector, first.AsSpan(slot * _size, _size));
        if (_second is not null)
        {
            _second(ref _vector);
            CopyDense(_vector, second.AsSpan(slot * _size, _size));
        }
    }

    private static void CopyDense(in VBuffer<float> source, Span<float> destination)
    {
        if (source.Length != destination.Length)
        {
            throw new InvalidOperationException($"Expected a vector of {destination.Length} values, found {source.Length}.");
        }

        source.CopyTo(destination);
    }
}
