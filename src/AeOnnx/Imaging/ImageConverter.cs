using System.Buffers;
using AeOnnx.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace AeOnnx.Imaging;

/// <summary>
/// Owns the model's pre- and post-processing (docs/MODEL-FORMAT.md, "Preprocessing"):
/// decode (PNG, JPEG, BMP, GIF first frame) with header limits checked before pixels are
/// allocated, convert to the model's color (gray by the integer BT.601 rule, alpha dropped,
/// 16-bit reduced by <c>v &gt;&gt; 8</c>), resize only when the size differs, scale and
/// normalize into NCHW float32; and the inverse for decoder output. Stateless and thread-safe.
/// </summary>
public sealed class ImageConverter
{
    private readonly float[][] _lookup;
    private readonly float[] _mean;
    private readonly float[] _std;
    private readonly IResampler _resampler;
    private readonly bool _gray;

    /// <summary>Creates a converter for the given manifest input description.</summary>
    /// <param name="input">The manifest's <c>input</c> object; must be valid (the loader checks it).</param>
    /// <param name="limits">File and pixel limits; <see cref="ImageLimits.Default"/> when null.</param>
    /// <exception cref="ArgumentException">The input description is not usable.</exception>
    public ImageConverter(InputSpec input, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Channels is not (1 or 3) || input.Height <= 0 || input.Width <= 0)
        {
            throw new ArgumentException($"Unsupported input shape {input.Channels}x{input.Height}x{input.Width}.", nameof(input));
        }

        if (input.Mean is null || input.Mean.Length != input.Channels || input.Std is null || input.Std.Length != input.Channels)
        {
            throw new ArgumentException("input.mean and input.std must have one value per channel.", nameof(input));
        }

        if (!(input.Scale > 0) || input.Std.Any(s => !(s != 0) || !float.IsFinite(s)))
        {
            throw new ArgumentException("input.scale must be positive and input.std non-zero.", nameof(input));
        }

        Input = input;
        Limits = limits ?? ImageLimits.Default;
        _gray = input.Channels == 1;
        _mean = input.Mean;
        _std = input.Std;
        _resampler = ResamplerFor(input.Resize)
            ?? throw new ArgumentException($"Unknown input.resize '{input.Resize}'.", nameof(input));

        // Every 8-bit value maps to one float per channel; a table makes the per-pixel work a load
        // and keeps the arithmetic identical to numpy's float32 (p / scale - mean) / std.
        _lookup = new float[input.Channels][];
        for (var c = 0; c < input.Channels; c++)
        {
            _lookup[c] = new float[256];
            for (var p = 0; p < 256; p++)
            {
                _lookup[c][p] = ((float)p / input.Scale - _mean[c]) / _std[c];
            }
        }
    }

    /// <summary>
    /// The ImageSharp configuration used for decoding: PNG, JPEG, BMP and GIF (first frame) only.
    /// A smaller decoder surface is a safer one; other formats are refused as unsupported.
    /// </summary>
    public static Configuration DecoderConfiguration { get; } = CreateConfiguration();

    /// <summary>The manifest input description this converter follows.</summary>
    public InputSpec Input { get; }

    /// <summary>The limits checked before decoding.</summary>
    public ImageLimits Limits { get; }

    /// <summary>Model channels (1 or 3).</summary>
    public int Channels => Input.Channels;

    /// <summary>Model image height.</summary>
    public int Height => Input.Height;

    /// <summary>Model image width.</summary>
    public int Width => Input.Width;

    /// <summary>Floats in one image tensor (C × H × W).</summary>
    public int PixelCount => Input.PixelCount;

    /// <summary>Decodes the first frame of an image file after checking its size and header against <see cref="Limits"/>.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>The decoded image in its native pixel format; the caller disposes it.</returns>
    /// <exception cref="ImageLoadException">The file is missing, unreadable, unsupported, corrupt or too large.</exception>
    public Image LoadImage(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenFile(path);
        return Decode(stream, path);
    }

    /// <summary>Decodes the first frame of an image stream after checking its size and header against <see cref="Limits"/>.</summary>
    /// <param name="stream">The encoded image; read from its current position, not disposed.</param>
    /// <param name="name">Name used in error messages (e.g. the original file name).</param>
    /// <returns>The decoded image in its native pixel format; the caller disposes it.</returns>
    /// <exception cref="ImageLoadException">The content is unsupported, corrupt or too large.</exception>
    public Image LoadImage(Stream stream, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        name ??= "<stream>";
        using var seekable = ToSeekable(stream, name);
        return Decode(seekable, name);
    }

    /// <summary>Loads an image file as the encoder's input: C × H × W normalized floats, NCHW.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>A new array of <see cref="PixelCount"/> floats.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public float[] LoadTensor(string path)
    {
        var tensor = new float[PixelCount];
        LoadTensor(path, tensor);
        return tensor;
    }

    /// <summary>Loads an image file as the encoder's input into <paramref name="destination"/>.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="destination">At least <see cref="PixelCount"/> floats; the first <see cref="PixelCount"/> are written.</param>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public void LoadTensor(string path, Span<float> destination)
    {
        using var image = LoadImage(path);
        ToTensor(image, destination);
    }

    /// <summary>Loads an encoded image stream as the encoder's input.</summary>
    /// <param name="stream">The encoded image; not disposed.</param>
    /// <param name="name">Name used in error messages.</param>
    /// <returns>A new array of <see cref="PixelCount"/> floats.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public float[] LoadTensor(Stream stream, string? name = null)
    {
        var tensor = new float[PixelCount];
        LoadTensor(stream, tensor, name);
        return tensor;
    }

    /// <summary>Loads an encoded image stream as the encoder's input into <paramref name="destination"/>.</summary>
    /// <param name="stream">The encoded image; not disposed.</param>
    /// <param name="destination">At least <see cref="PixelCount"/> floats.</param>
    /// <param name="name">Name used in error messages.</param>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public void LoadTensor(Stream stream, Span<float> destination, string? name = null)
    {
        using var image = LoadImage(stream, name);
        ToTensor(image, destination);
    }

    /// <summary>Converts a decoded image (any pixel format) to the encoder's input.</summary>
    /// <param name="image">The image; its first frame is used; not disposed.</param>
    /// <returns>A new array of <see cref="PixelCount"/> floats.</returns>
    public float[] ToTensor(Image image)
    {
        var tensor = new float[PixelCount];
        ToTensor(image, tensor);
        return tensor;
    }

    /// <summary>Converts a decoded image (any pixel format) to the encoder's input into <paramref name="destination"/>.</summary>
    /// <param name="image">The image; its first frame is used; not disposed.</param>
    /// <param name="destination">At least <see cref="PixelCount"/> floats.</param>
    public void ToTensor(Image image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckLength(destination.Length, nameof(destination));
        using var model = ToModelImage(image);
        WriteTensor(model, destination);
    }

    /// <summary>
    /// Converts a decoded image to the 8-bit pixels that the encoder sees before scaling:
    /// model color (an <c>Image&lt;L8&gt;</c> or <c>Image&lt;Rgb24&gt;</c>) at model size.
    /// </summary>
    /// <param name="image">The image; its first frame is used; not disposed.</param>
    /// <returns>A new image; the caller disposes it.</returns>
    public Image ToModelImage(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        Image converted = _gray ? ToGray(image) : ToRgb(image);
        if (converted.Width != Width || converted.Height != Height)
        {
            converted.Mutate(x => x.Resize(new ResizeOptions
            {
                Size = new Size(Width, Height),
                Mode = ResizeMode.Stretch,
                Sampler = _resampler,
            }));
        }

        return converted;
    }

    /// <summary>
    /// Converts decoder output (C × H × W normalized floats) to an 8-bit image:
    /// <c>clamp(round((y·std + mean)·scale), 0, 255)</c>, rounding half to even.
    /// </summary>
    /// <param name="tensor">At least <see cref="PixelCount"/> floats, NCHW.</param>
    /// <returns>An <c>Image&lt;L8&gt;</c> (gray models) or <c>Image&lt;Rgb24&gt;</c> (RGB models); the caller disposes it.</returns>
    public Image ToImage(ReadOnlySpan<float> tensor)
    {
        CheckLength(tensor.Length, nameof(tensor));
        var plane = Height * Width;

        // Pixel accessors are ref structs used inside a callback, which cannot capture a span.
        var values = ArrayPool<float>.Shared.Rent(PixelCount);
        try
        {
            tensor[..PixelCount].CopyTo(values);
            if (_gray)
            {
                var gray = new Image<L8>(DecoderConfiguration, Width, Height);
                gray.ProcessPixelRows(accessor =>
                {
                    for (var y = 0; y < accessor.Height; y++)
                    {
                        var row = accessor.GetRowSpan(y);
                        var offset = y * Width;
                        for (var x = 0; x < row.Length; x++)
                        {
                            row[x] = new L8(ToByte(values[offset + x], 0));
                        }
                    }
                });
                return gray;
            }

            var rgb = new Image<Rgb24>(DecoderConfiguration, Width, Height);
            rgb.ProcessPixelRows(accessor =>
            {
                for (var y = 0; y < accessor.Height; y++)
                {
                    var row = accessor.GetRowSpan(y);
                    var offset = y * Width;
                    for (var x = 0; x < row.Length; x++)
                    {
                        row[x] = new Rgb24(
                            ToByte(values[offset + x], 0),
                            ToByte(values[plane + offset + x], 1),
                            ToByte(values[(2 * plane) + offset + x], 2));
                    }
                }
            });
            return rgb;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
        }
    }

    /// <summary>Writes decoder output as a PNG file (see <see cref="ToImage"/> for the conversion).</summary>
    /// <param name="tensor">At least <see cref="PixelCount"/> floats, NCHW.</param>
    /// <param name="path">The PNG file to create or overwrite.</param>
    public void SavePng(ReadOnlySpan<float> tensor, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var image = ToImage(tensor);
        image.SaveAsPng(path);
    }

    /// <summary>Writes decoder output as PNG to a stream (see <see cref="ToImage"/> for the conversion).</summary>
    /// <param name="tensor">At least <see cref="PixelCount"/> floats, NCHW.</param>
    /// <param name="stream">The destination; not disposed.</param>
    public void SavePng(ReadOnlySpan<float> tensor, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var image = ToImage(tensor);
        image.SaveAsPng(stream);
    }

    /// <summary>Maps one decoder output value of channel <paramref name="channel"/> back to [0,1] pixel space, unclamped.</summary>
    /// <param name="value">Normalized value.</param>
    /// <param name="channel">Channel index.</param>
    /// <returns>The value in [0,1] pixel space (before clamping).</returns>
    public float Denormalize(float value, int channel) => (value * _std[channel]) + _mean[channel];

    /// <summary>The 8-bit integer BT.601 rule of the contract (PIL's <c>convert("L")</c>).</summary>
    /// <param name="r">Red.</param>
    /// <param name="g">Green.</param>
    /// <param name="b">Blue.</param>
    /// <returns>The gray value.</returns>
    public static byte GrayBt601(byte r, byte g, byte b) => (byte)(((r * 19595) + (g * 38470) + (b * 7471) + 32768) >> 16);

    internal static IResampler? ResamplerFor(string? name) => name switch
    {
        "bilinear" => KnownResamplers.Triangle,
        "bicubic" => KnownResamplers.Bicubic,
        "nearest" => KnownResamplers.NearestNeighbor,
        _ => null,
    };

    private byte ToByte(float value, int channel)
    {
        var p = MathF.Round(((value * _std[channel]) + _mean[channel]) * Input.Scale, MidpointRounding.ToEven);
        if (float.IsNaN(p) || p <= 0f)
        {
            return 0;
        }

        return p >= 255f ? (byte)255 : (byte)p;
    }

    private void CheckLength(int length, string name)
    {
        if (length < PixelCount)
        {
            throw new ArgumentException($"Expected at least {PixelCount} floats ({Channels}x{Height}x{Width}), got {length}.", name);
        }
    }

    private void WriteTensor(Image model, Span<float> destination)
    {
        var plane = Height * Width;
        var values = ArrayPool<float>.Shared.Rent(PixelCount);
        try
        {
            if (model is Image<L8> gray)
            {
                var lut = _lookup[0];
                gray.ProcessPixelRows(accessor =>
                {
                    for (var y = 0; y < accessor.Height; y++)
                    {
                        var row = accessor.GetRowSpan(y);
                        var offset = y * Width;
                        for (var x = 0; x < row.Length; x++)
                        {
                            values[offset + x] = lut[row[x].PackedValue];
                        }
                    }
                });
            }
            else
            {
                var (lr, lg, lb) = (_lookup[0], _lookup[1], _lookup[2]);
                ((Image<Rgb24>)model).ProcessPixelRows(accessor =>
                {
                    for (var y = 0; y < accessor.Height; y++)
                    {
                        var row = accessor.GetRowSpan(y);
                        var offset = y * Width;
                        for (var x = 0; x < row.Length; x++)
                        {
                            var p = row[x];
                            values[offset + x] = lr[p.R];
                            values[plane + offset + x] = lg[p.G];
                            values[(2 * plane) + offset + x] = lb[p.B];
                        }
                    }
                });
            }

            values.AsSpan(0, PixelCount).CopyTo(destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
        }
    }

    private static Image<L8> ToGray(Image image)
    {
        // Already model color: BT.601 of (v, v, v) is v, so a copy is the exact conversion.
        if (image is Image<L8> gray && image.Frames.Count == 1)
        {
            return gray.Clone(DecoderConfiguration);
        }

        if (Is16Bit(image))
        {
            using var wide = CloneFirstFrameAs<Rgba64>(image);
            var result = new Image<L8>(DecoderConfiguration, wide.Width, wide.Height);
            wide.ProcessPixelRows(result, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    var s = source.GetRowSpan(y);
                    var t = target.GetRowSpan(y);
                    for (var x = 0; x < s.Length; x++)
                    {
                        t[x] = new L8(GrayBt601((byte)(s[x].R >> 8), (byte)(s[x].G >> 8), (byte)(s[x].B >> 8)));
                    }
                }
            });
            return result;
        }
        else
        {
            using var narrow = CloneFirstFrameAs<Rgba32>(image);
            var result = new Image<L8>(DecoderConfiguration, narrow.Width, narrow.Height);
            narrow.ProcessPixelRows(result, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    var s = source.GetRowSpan(y);
                    var t = target.GetRowSpan(y);
                    for (var x = 0; x < s.Length; x++)
                    {
                        t[x] = new L8(GrayBt601(s[x].R, s[x].G, s[x].B));
                    }
                }
            });
            return result;
        }
    }

    private static Image<Rgb24> ToRgb(Image image)
    {
        if (image is Image<Rgb24> rgb && image.Frames.Count == 1)
        {
            return rgb.Clone(DecoderConfiguration);
        }

        if (Is16Bit(image))
        {
            using var wide = CloneFirstFrameAs<Rgba64>(image);
            var result = new Image<Rgb24>(DecoderConfiguration, wide.Width, wide.Height);
            wide.ProcessPixelRows(result, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    var s = source.GetRowSpan(y);
                    var t = target.GetRowSpan(y);
                    for (var x = 0; x < s.Length; x++)
                    {
                        t[x] = new Rgb24((byte)(s[x].R >> 8), (byte)(s[x].G >> 8), (byte)(s[x].B >> 8));
                    }
                }
            });
            return result;
        }
        else
        {
            using var narrow = CloneFirstFrameAs<Rgba32>(image);
            var result = new Image<Rgb24>(DecoderConfiguration, narrow.Width, narrow.Height);
            narrow.ProcessPixelRows(result, (source, target) =>
            {
                for (var y = 0; y < source.Height; y++)
                {
                    var s = source.GetRowSpan(y);
                    var t = target.GetRowSpan(y);
                    for (var x = 0; x < s.Length; x++)
                    {
                        // Alpha is dropped, not composited: the contract's "ignore".
                        t[x] = new Rgb24(s[x].R, s[x].G, s[x].B);
                    }
                }
            });
            return result;
        }
    }

    // 16-bit channels are reduced by v >> 8 (the contract), which differs from ImageSharp's own
    // rounding 16→8 conversion, so these formats go through Rgba64 and are shifted here.
    private static bool Is16Bit(Image image) => image is Image<L16> or Image<La32> or Image<Rgb48> or Image<Rgba64>;

    private static Image<TPixel> CloneFirstFrameAs<TPixel>(Image image)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (image.Frames.Count > 1)
        {
            using var first = image.Frames.CloneFrame(0);
            return first.CloneAs<TPixel>(DecoderConfiguration);
        }

        return image.CloneAs<TPixel>(DecoderConfiguration);
    }

    private Stream OpenFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new ImageLoadException(path, ImageLoadError.Unreadable, "the path is a directory.");
        }

        if (!File.Exists(path))
        {
            throw new ImageLoadException(path, ImageLoadError.NotFound, "no such file.");
        }

        try
        {
            // Opening a FIFO blocks until a writer appears; it (like a device or a /proc file) has
            // no size, and neither has an empty file: nothing to decode, so refuse before opening.
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            if (target.Length == 0)
            {
                throw new ImageLoadException(path, ImageLoadError.Unreadable, "the file is empty (0 bytes) or not a regular file (a FIFO or device).");
            }

            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
            if (stream.Length > Limits.MaxFileBytes)
            {
                var length = stream.Length;
                stream.Dispose();
                throw new ImageLoadException(path, ImageLoadError.TooLarge, $"file is {length} bytes, the limit is {Limits.MaxFileBytes}.");
            }

            return stream;
        }
        catch (FileNotFoundException ex)
        {
            throw new ImageLoadException(path, ImageLoadError.NotFound, "no such file.", ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new ImageLoadException(path, ImageLoadError.NotFound, "no such directory.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ImageLoadException(path, ImageLoadError.Unreadable, ex.Message, ex);
        }
    }

    private MemoryStream ToSeekable(Stream stream, string name)
    {
        // Identify-then-decode needs to rewind; copying also enforces the byte limit on streams
        // whose length is unknown. Bounded by MaxFileBytes + 1 so a huge stream is refused early.
        try
        {
            if (stream.CanSeek && stream.Length - stream.Position > Limits.MaxFileBytes)
            {
                throw new ImageLoadException(name, ImageLoadError.TooLarge, $"stream is {stream.Length - stream.Position} bytes, the limit is {Limits.MaxFileBytes}.");
            }

            var copy = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                copy.Write(buffer, 0, read);
                if (copy.Length > Limits.MaxFileBytes)
                {
                    throw new ImageLoadException(name, ImageLoadError.TooLarge, $"stream exceeds the limit of {Limits.MaxFileBytes} bytes.");
                }
            }

            copy.Position = 0;
            return copy;
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or ObjectDisposedException)
        {
            throw new ImageLoadException(name, ImageLoadError.Unreadable, ex.Message, ex);
        }
    }

    private Image Decode(Stream stream, string name)
    {
        var start = stream.Position;
        IImageInfo? info;
        try
        {
            info = Image.Identify(DecoderConfiguration, stream, out _);
        }
        catch (UnknownImageFormatException ex)
        {
            throw Unsupported(name, ex);
        }
        catch (Exception ex) when (ex is not ImageLoadException and not OutOfMemoryException)
        {
            throw new ImageLoadException(name, ImageLoadError.Corrupt, $"the header cannot be read ({ex.Message}).", ex);
        }

        if (info is null)
        {
            throw Unsupported(name, null);
        }

        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageLoadException(name, ImageLoadError.Corrupt, $"the header says {info.Width}x{info.Height} pixels.");
        }

        if ((long)info.Width * info.Height > Limits.MaxPixels)
        {
            throw new ImageLoadException(name, ImageLoadError.TooLarge, $"{info.Width}x{info.Height} pixels exceeds the limit of {Limits.MaxPixels} pixels.");
        }

        stream.Position = start;
        try
        {
            return Image.Load(DecoderConfiguration, stream);
        }
        catch (UnknownImageFormatException ex)
        {
            throw Unsupported(name, ex);
        }
        catch (InvalidMemoryOperationException ex)
        {
            throw new ImageLoadException(name, ImageLoadError.TooLarge, ex.Message, ex);
        }
        catch (NotSupportedException ex)
        {
            // A known format in a variant the decoder does not implement (e.g. 12-bit JPEG).
            throw new ImageLoadException(name, ImageLoadError.UnsupportedFormat, ex.Message, ex);
        }
        catch (Exception ex) when (ex is not ImageLoadException and not OutOfMemoryException)
        {
            throw new ImageLoadException(name, ImageLoadError.Corrupt, ex.Message, ex);
        }
    }

    private static ImageLoadException Unsupported(string name, Exception? inner) =>
        new(name, ImageLoadError.UnsupportedFormat, "not a PNG, JPEG, BMP or GIF image.", inner);

    private static Configuration CreateConfiguration()
    {
        var configuration = new Configuration(
            new PngConfigurationModule(),
            new JpegConfigurationModule(),
            new BmpConfigurationModule(),
            new GifConfigurationModule())
        {
            // Parallelism belongs to the caller (the folder pipeline decodes files in parallel);
            // nested row parallelism would only oversubscribe the cores.
            MaxDegreeOfParallelism = 1,
        };
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }
}
