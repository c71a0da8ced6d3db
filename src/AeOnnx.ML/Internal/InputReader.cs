using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>Reads a mapping's input column(s) of one row into a <see cref="BatchInput"/> slot.</summary>
internal sealed class InputReader
{
    private readonly ValueGetter<ReadOnlyMemory<char>>? _path;
    private readonly ValueGetter<MLImage>? _image;
    private readonly ValueGetter<VBuffer<float>>? _first;
    private readonly ValueGetter<VBuffer<float>>? _second;
    private readonly int _size;
    private ReadOnlyMemory<char> _text;
    private VBuffer<float> _vector;

    public InputReader(DataViewRow row, MappingSpec spec, int[] inputIndices)
    {
        _size = spec.InputSize;
        var schema = row.Schema;
        switch (spec.Input)
        {
            case MappingInput.Path:
                _path = row.GetGetter<ReadOnlyMemory<char>>(schema[inputIndices[0]]);
                break;
            case MappingInput.Image:
                _image = row.GetGetter<MLImage>(schema[inputIndices[0]]);
                break;
            default:
                _first = row.GetGetter<VBuffer<float>>(schema[inputIndices[0]]);
                if (inputIndices.Length > 1)
                {
                    _second = row.GetGetter<VBuffer<float>>(schema[inputIndices[1]]);
                }

                break;
        }
    }

    /// <summary>Reads the current row into slot <paramref name="slot"/>. An MLImage read here belongs to the batch: release it with <see cref="ReleaseImages"/>.</summary>
    public void Read(int slot, BatchInput batch)
    {
        if (_path is not null)
        {
            _path(ref _text);
            batch.Paths[slot] = _text.ToString();
            return;
        }

        if (_image is not null)
        {
            // A fresh reference each time: ML.NET's image getter disposes the image it is handed back.
            MLImage image = null!;
            _image(ref image);
            batch.Images[slot] = image;
            return;
        }

        _first!(ref _vector);
        CopyDense(_vector, batch.First.AsSpan(slot * _size, _size));
        if (_second is not null)
        {
            _second(ref _vector);
            CopyDense(_vector, batch.Second.AsSpan(slot * _size, _size));
        }
    }

    public static void ReleaseImages(BatchInput batch, int count)
    {
        for (var i = 0; i < Math.Min(count, batch.Images.Length); i++)
        {
            batch.Images[i]?.Dispose();
            batch.Images[i] = null;
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
