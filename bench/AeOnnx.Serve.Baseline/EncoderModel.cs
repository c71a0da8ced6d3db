using System.Buffers;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace AeOnnx.Serve.Baseline;

/// <summary>The model's encoder graph and the manifest's input rule (gray or RGB, size, scale, mean, std).</summary>
internal sealed class EncoderModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _shape;
    private readonly int _width;
    private readonly int _height;
    private readonly int _channels;
    private readonly float _scale;
    private readonly float[] _mean;
    private readonly float[] _std;
    private readonly int _latentDim;

    private EncoderModel(string dir, JsonElement manifest)
    {
        var input = manifest.GetProperty("input");
        var encoder = manifest.GetProperty("encoder");
        _width = input.GetProperty("width").GetInt32();
        _height = input.GetProperty("height").GetInt32();
        _channels = input.GetProperty("channels").GetInt32();
        _scale = input.GetProperty("scale").GetSingle();
        _mean = [.. input.GetProperty("mean").EnumerateArray().Select(e => e.GetSingle())];
        _std = [.. input.GetProperty("std").EnumerateArray().Select(e => e.GetSingle())];
        _latentDim = manifest.GetProperty("latent").GetProperty("dim").GetInt32();
        _inputNames = [encoder.GetProperty("input").GetString()!];
        _outputNames = [encoder.GetProperty("outputs")[0].GetString()!];
        _shape = [1, _channels, _height, _width];

        // Requests run concurrently on the ASP.NET Core threads, so each run uses one thread: the
        // cores are shared by requests, not split inside one small run.
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(Path.Combine(dir, encoder.GetProperty("file").GetString()!), options);
    }

    public static EncoderModel Load(string dir)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json")));
        return new EncoderModel(dir, manifest.RootElement.Clone());
    }

    /// <summary>The latent of one encoded image; null when Skia cannot decode it.</summary>
    public unsafe float[]? Encode(ReadOnlySpan<byte> encoded)
    {
        var count = _channels * _height * _width;
        var tensor = ArrayPool<float>.Shared.Rent(count);
        try
        {
            fixed (byte* start = encoded)
            {
                using var data = SKData.Create((IntPtr)start, encoded.Length);
                using var codec = SKCodec.Create(data);
                if (codec is null || !Pixels(codec, tensor.AsSpan(0, count)))
                {
                    return null;
                }
            }

            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensor.AsMemory(0, count), _shape);
            using var outputs = _session.Run(_run, _inputNames, [value], _outputNames);
            return outputs[0].GetTensorDataAsSpan<float>()[.._latentDim].ToArray();
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tensor);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _run.Dispose();
    }

    /// <summary>Decodes at model size (resizing with Skia's bilinear sampling when the image is another size) into NCHW floats.</summary>
    private unsafe bool Pixels(SKCodec codec, Span<float> tensor)
    {
        var gray = _channels == 1;
        var sourceGray = codec.Info.ColorType == SKColorType.Gray8;
        var colorType = gray && sourceGray ? SKColorType.Gray8 : SKColorType.Rgba8888;
        var bytesPerPixel = colorType == SKColorType.Gray8 ? 1 : 4;
        var target = new SKImageInfo(_width, _height, colorType, SKAlphaType.Unpremul);
        var pixels = ArrayPool<byte>.Shared.Rent(_width * _height * bytesPerPixel);
        try
        {
            fixed (byte* destination = pixels)
            {
                if (codec.Info.Width == _width && codec.Info.Height == _height)
                {
                    if (codec.GetPixels(target, (IntPtr)destination) != SKCodecResult.Success)
                    {
                        return false;
                    }
                }
                else
                {
                    using var full = SKBitmap.Decode(codec, codec.Info.WithColorType(colorType).WithAlphaType(SKAlphaType.Unpremul));
                    using var scaled = new SKPixmap(target, (IntPtr)destination, _width * bytesPerPixel);
                    if (full is null || !full.ScalePixels(scaled, SKFilterQuality.Low))
                    {
                        return false;
                    }
                }
            }

            var plane = _width * _height;
            var source = pixels.AsSpan(0, plane * bytesPerPixel);
            if (colorType == SKColorType.Gray8)
            {
                Scale(source, tensor, 0);
            }
            else if (gray)
            {
                // ITU-R BT.601 luma, as the manifest's "gray": "bt601" says.
                for (var i = 0; i < plane; i++)
                {
                    var p = source.Slice(i * 4, 4);
                    var y = (0.299f * p[0]) + (0.587f * p[1]) + (0.114f * p[2]);
                    tensor[i] = ((y / _scale) - _mean[0]) / _std[0];
                }
            }
            else
            {
                for (var c = 0; c < _channels; c++)
                {
                    for (var i = 0; i < plane; i++)
                    {
                        tensor[(c * plane) + i] = ((source[(i * 4) + c] / _scale) - _mean[c]) / _std[c];
                    }
                }
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }

    private void Scale(ReadOnlySpan<byte> source, Span<float> tensor, int channel)
    {
        var mean = _mean[channel];
        var std = _std[channel];
        for (var i = 0; i < source.Length; i++)
        {
            tensor[i] = ((source[i] / _scale) - mean) / std;
        }
    }
}
