using AeOnnx.Models;

namespace AeOnnx.Imaging;

/// <summary>
/// Model pixels ↔ tensors (docs/MODEL-FORMAT.md, "Preprocessing" step 4 and "Postprocessing"):
/// <c>(p / scale − mean[c]) / std[c]</c> laid out NCHW, and back with
/// <c>clamp(round((y·std + mean)·scale), 0, 255)</c>, rounding half to even.
/// </summary>
internal sealed class TensorCodec
{
    private readonly float[][] _lookup;
    private readonly float[] _mean;
    private readonly float[] _std;
    private readonly float _scale;

    public TensorCodec(ImageSpec input)
    {
        Channels = input.Channels;
        Height = input.Height;
        Width = input.Width;
        _mean = [.. input.Mean];
        _std = [.. input.Std];
        _scale = input.Scale;

        // Every 8-bit value maps to one float per channel; a table makes the per-pixel work a load
        // and keeps the arithmetic identical to numpy's float32 (p / scale - mean) / std.
        _lookup = new float[Channels][];
        for (var c = 0; c < Channels; c++)
        {
            _lookup[c] = new float[256];
            for (var p = 0; p < 256; p++)
            {
                _lookup[c][p] = ((float)p / _scale - _mean[c]) / _std[c];
            }
        }
    }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>Interleaved model pixels (H×W×C bytes) to the normalized NCHW tensor.</summary>
    public void Write(ReadOnlySpan<byte> pixels, Span<float> destination)
    {
        var plane = Height * Width;
        if (Channels == 1)
        {
            var lut = _lookup[0];
            for (var i = 0; i < plane; i++)
            {
                destination[i] = lut[pixels[i]];
            }

            return;
        }

        var (lr, lg, lb) = (_lookup[0], _lookup[1], _lookup[2]);
        var r = destination[..plane];
        var g = destination.Slice(plane, plane);
        var b = destination.Slice(2 * plane, plane);
        for (var i = 0; i < plane; i++)
        {
            r[i] = lr[pixels[3 * i]];
            g[i] = lg[pixels[(3 * i) + 1]];
            b[i] = lb[pixels[(3 * i) + 2]];
        }
    }

    /// <summary>One decoder output value of <paramref name="channel"/> back to [0,1] pixel space, unclamped.</summary>
    public float Denormalize(float value, int channel) => (value * _std[channel]) + _mean[channel];

    /// <summary>One decoder output value to an 8-bit pixel.</summary>
    public byte ToByte(float value, int channel)
    {
        var p = MathF.Round(((value * _std[channel]) + _mean[channel]) * _scale, MidpointRounding.ToEven);
        if (float.IsNaN(p) || p <= 0f)
        {
            return 0;
        }

        return p >= 255f ? (byte)255 : (byte)p;
    }

    /// <summary>Decoder output (NCHW) to an 8-bit <see cref="ImageData"/>: Gray8 or Rgb24.</summary>
    public ImageData ToImage(ReadOnlySpan<float> tensor)
    {
        var plane = Height * Width;
        if (Channels == 1)
        {
            var gray = new byte[plane];
            for (var i = 0; i < plane; i++)
            {
                gray[i] = ToByte(tensor[i], 0);
            }

            return new ImageData(Width, Height, ImagePixelFormat.Gray8, gray);
        }

        var rgb = new byte[3 * plane];
        for (var i = 0; i < plane; i++)
        {
            rgb[3 * i] = ToByte(tensor[i], 0);
            rgb[(3 * i) + 1] = ToByte(tensor[plane + i], 1);
            rgb[(3 * i) + 2] = ToByte(tensor[(2 * plane) + i], 2);
        }

        return new ImageData(Width, Height, ImagePixelFormat.Rgb24, rgb);
    }
}
