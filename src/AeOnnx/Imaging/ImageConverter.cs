using System.Buffers;
using AeOnnx.Models;

namespace AeOnnx.Imaging;

/// <summary>
/// Owns the model's pre- and post-processing (docs/MODEL-FORMAT.md, "Preprocessing"): decode
/// (the <see cref="ImageFormats"/>, first frame, with Skia) with header limits checked before pixels are
/// allocated, JPEG DCT-domain downscaling when the manifest's <c>jpeg_draft</c> says so, convert to
/// the model's color (gray by the integer BT.601 rule, alpha dropped, 16-bit reduced by
/// <c>v &gt;&gt; 8</c>), resize only when the size differs, scale and normalize into NCHW float32;
/// and the inverse for decoder output. Stateless and thread-safe.
/// </summary>
/// <remarks>
/// The work is split in three internal parts: <c>ImageDecoder</c> (bytes to pixels, limits),
/// <c>PixelConversion</c> (color rules) and <c>TensorCodec</c> (normalization, layout, inverse).
/// Resizing follows Pillow's resampler to the bit (<c>PilResampler</c>). Images callers pass in or get
/// back are <see cref="ImageData"/>; ImageSharp only writes PNGs, behind that type.
/// </remarks>
public sealed class ImageConverter
{
    private readonly bool _gray;
    private readonly ImageDecoder _decoder;
    private readonly TensorCodec _codec;
    private readonly int _draftWidth;
    private readonly int _draftHeight;

    /// <summary>Creates a converter for the given image description (a manifest's <see cref="ModelManifest.Image"/>).</summary>
    /// <param name="input">The image and its preprocessing; checked by the manifest's rules.</param>
    /// <param name="limits">File, pixel and decoding-work limits; <see cref="ImageLimits.Default"/> when null.</param>
    /// <exception cref="ArgumentException">The image description is not usable (the message names the field).</exception>
    public ImageConverter(ImageSpec input, ImageLimits? limits = null)
    {
        ImageSpecReader.CheckImage(input, nameof(input));
        Input = input;
        Limits = limits ?? ImageLimits.Default;
        _gray = input.Channels == 1;
        _decoder = new ImageDecoder(Limits);
        _codec = new TensorCodec(input);
        (_draftWidth, _draftHeight) = input.JpegDraft ? (input.Width, input.Height) : (0, 0);
    }

    /// <summary>The image description this converter follows.</summary>
    public ImageSpec Input { get; }

    /// <summary>The limits checked before and while decoding.</summary>
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
    /// <returns>
    /// The decoded image at full size (no JPEG downscaling): <see cref="ImagePixelFormat.Gray8"/> for gray
    /// sources, <see cref="ImagePixelFormat.Rgba64"/> for 16-bit ones, else <see cref="ImagePixelFormat.Rgba32"/>.
    /// </returns>
    /// <exception cref="ImageLoadException">The file is missing, unreadable, unsupported, corrupt or too large.</exception>
    public ImageData LoadImage(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var encoded = EncodedBytes.ReadFile(path, Limits);
        using var pixels = _decoder.Decode(encoded, path);
        return PixelConversion.ToImageData(pixels);
    }

    /// <summary>Decodes the first frame of an image stream after checking its size and header against <see cref="Limits"/>.</summary>
    /// <param name="stream">The encoded image; read from its current position, not disposed.</param>
    /// <param name="name">Name used in error messages (e.g. the original file name).</param>
    /// <returns>The decoded image at full size (see <see cref="LoadImage(string)"/>).</returns>
    /// <exception cref="ImageLoadException">The content is unsupported, corrupt or too large.</exception>
    public ImageData LoadImage(Stream stream, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        name ??= "<stream>";
        using var encoded = EncodedBytes.ReadStream(stream, name, Limits);
        using var pixels = _decoder.Decode(encoded, name);
        return PixelConversion.ToImageData(pixels);
    }

    /// <summary>
    /// Loads an image file as the 8-bit pixels the encoder sees before scaling, by exactly the rules of
    /// <see cref="LoadTensor(string)"/> (JPEG downscaling included): model color at model size.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <returns>A <see cref="ImagePixelFormat.Gray8"/> or <see cref="ImagePixelFormat.Rgb24"/> image of the model's size.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public ImageData LoadModelImage(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var pixels = new byte[PixelCount];
        using (var encoded = EncodedBytes.ReadFile(path, Limits))
        {
            DecodeToModelPixels(encoded, path, pixels);
        }

        return ModelImage(pixels);
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
        ArgumentNullException.ThrowIfNull(path);
        CheckLength(destination.Length, nameof(destination));
        using var encoded = EncodedBytes.ReadFile(path, Limits);
        DecodeToTensor(encoded, path, destination);
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
        ArgumentNullException.ThrowIfNull(stream);
        CheckLength(destination.Length, nameof(destination));
        name ??= "<stream>";
        using var encoded = EncodedBytes.ReadStream(stream, name, Limits);
        DecodeToTensor(encoded, name, destination);
    }

    /// <summary>Converts an image (any <see cref="ImagePixelFormat"/>, any size) to the encoder's input.</summary>
    /// <param name="image">The image.</param>
    /// <returns>A new array of <see cref="PixelCount"/> floats.</returns>
    public float[] ToTensor(ImageData image)
    {
        var tensor = new float[PixelCount];
        ToTensor(image, tensor);
        return tensor;
    }

    /// <summary>Converts an image (any <see cref="ImagePixelFormat"/>, any size) to the encoder's input into <paramref name="destination"/>.</summary>
    /// <param name="image">The image.</param>
    /// <param name="destination">At least <see cref="PixelCount"/> floats.</param>
    public void ToTensor(ImageData image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckLength(destination.Length, nameof(destination));
        var pixels = ArrayPool<byte>.Shared.Rent(PixelCount);
        try
        {
            ToModelPixels(image, pixels.AsSpan(0, PixelCount));
            _codec.Write(pixels.AsSpan(0, PixelCount), destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }

    /// <summary>
    /// Converts an image to the 8-bit pixels that the encoder sees before scaling: model color at model
    /// size, by the same color and resampling rules as files.
    /// </summary>
    /// <param name="image">The image.</param>
    /// <returns>A <see cref="ImagePixelFormat.Gray8"/> or <see cref="ImagePixelFormat.Rgb24"/> image of the model's size.</returns>
    public ImageData ToModelImage(ImageData image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var pixels = new byte[PixelCount];
        ToModelPixels(image, pixels);
        return ModelImage(pixels);
    }

    /// <summary>
    /// Converts decoder output (C × H × W normalized floats) to an 8-bit image:
    /// <c>clamp(round((y·std + mean)·scale), 0, 255)</c>, rounding half to even.
    /// </summary>
    /// <param name="tensor">At least <see cref="PixelCount"/> floats, NCHW.</param>
    /// <returns>A <see cref="ImagePixelFormat.Gray8"/> (gray models) or <see cref="ImagePixelFormat.Rgb24"/> (RGB models) image.</returns>
    public ImageData ToImage(ReadOnlySpan<float> tensor)
    {
        CheckLength(tensor.Length, nameof(tensor));
        return _codec.ToImage(tensor);
    }

    /// <summary>Writes decoder output as a PNG file (see <see cref="ToImage"/> for the conversion).</summary>
    /// <param name="tensor">At least <see cref="PixelCount"/> floats, NCHW.</param>
    /// <param name="path">The PNG file to create or overwrite.</param>
    public void SavePng(ReadOnlySpan<float> tensor, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ToImage(tensor).SavePng(path);
    }

    /// <summary>Writes decoder output as PNG to a stream (see <see cref="ToImage"/> for the conversion).</summary>
    /// <param name="tensor">At least <see cref="PixelCount"/> floats, NCHW.</param>
    /// <param name="stream">The destination; not disposed.</param>
    public void SavePng(ReadOnlySpan<float> tensor, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ToImage(tensor).SavePng(stream);
    }

    /// <summary>Maps one decoder output value of channel <paramref name="channel"/> back to [0,1] pixel space, unclamped.</summary>
    /// <param name="value">Normalized value.</param>
    /// <param name="channel">Channel index.</param>
    /// <returns>The value in [0,1] pixel space (before clamping).</returns>
    public float Denormalize(float value, int channel) => _codec.Denormalize(value, channel);

    /// <summary>The 8-bit integer BT.601 rule of the contract (PIL's <c>convert("L")</c>).</summary>
    /// <param name="r">Red.</param>
    /// <param name="g">Green.</param>
    /// <param name="b">Blue.</param>
    /// <returns>The gray value.</returns>
    public static byte GrayBt601(byte r, byte g, byte b) => PixelConversion.GrayBt601(r, g, b);

    /// <summary>
    /// From the header alone (nothing decoded, no pixel buffer): the pixels <see cref="LoadTensor(byte[], string)"/>
    /// would decode (after JPEG draft scaling) and the bytes it would hold at once: the decoded pixels,
    /// the model-color copy, and room for the codec's own buffers (libjpeg's coefficients, libwebp's ARGB).
    /// The same refusals as loading (format, limits, header).
    /// </summary>
    internal (long Pixels, long WorkingBytes) MeasureDecode(byte[] bytes, string name)
    {
        using var encoded = EncodedBytes.Wrap(bytes, name, Limits);
        var (width, height, bytesPerPixel) = _decoder.Measure(encoded, name, _draftWidth, _draftHeight);
        var pixels = (long)width * height;
        return (pixels, pixels * (bytesPerPixel + Channels + 8));
    }

    /// <summary>Loads an encoded image already in memory as the encoder's input, reading the bytes in place.</summary>
    internal float[] LoadTensor(byte[] bytes, string name)
    {
        var tensor = new float[PixelCount];
        using var encoded = EncodedBytes.Wrap(bytes, name, Limits);
        DecodeToTensor(encoded, name, tensor);
        return tensor;
    }

    /// <summary>Encoded bytes to the normalized tensor: decode, color, resize if needed, normalize.</summary>
    internal void DecodeToTensor(EncodedBytes encoded, string name, Span<float> destination)
    {
        var pixels = ArrayPool<byte>.Shared.Rent(PixelCount);
        try
        {
            DecodeToModelPixels(encoded, name, pixels.AsSpan(0, PixelCount));
            _codec.Write(pixels.AsSpan(0, PixelCount), destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }

    /// <summary>Encoded bytes to model color at model size, interleaved (H × W × C bytes).</summary>
    private void DecodeToModelPixels(EncodedBytes encoded, string name, Span<byte> destination)
    {
        using var decoded = _decoder.Decode(encoded, name, _draftWidth, _draftHeight);
        if (decoded.Width == Width && decoded.Height == Height)
        {
            PixelConversion.ToModelColor(decoded, _gray, destination);
            return;
        }

        var count = decoded.Width * decoded.Height * Channels;
        var full = PixelBuffers.Rent(count);
        try
        {
            PixelConversion.ToModelColor(decoded, _gray, full.AsSpan(0, count));
            PilResampler.Resize(full.AsSpan(0, count), decoded.Width, decoded.Height, Channels, destination, Width, Height, Input.Resize);
        }
        finally
        {
            PixelBuffers.Return(full);
        }
    }

    private void CheckLength(int length, string name)
    {
        if (length < PixelCount)
        {
            throw new ArgumentException($"Expected at least {PixelCount} floats ({Channels}x{Height}x{Width}), got {length}.", name);
        }
    }

    /// <summary>A caller's image to model color at model size (resized with the manifest's resampler when the size differs).</summary>
    private void ToModelPixels(ImageData image, Span<byte> destination)
    {
        if (image.Width == Width && image.Height == Height)
        {
            PixelConversion.ToModelColor(image, _gray, destination);
            return;
        }

        // The same resampler as for files, so an image object and its file give the same tensor.
        var count = image.Width * image.Height * Channels;
        var full = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            PixelConversion.ToModelColor(image, _gray, full.AsSpan(0, count));
            PilResampler.Resize(full.AsSpan(0, count), image.Width, image.Height, Channels, destination, Width, Height, Input.Resize);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(full);
        }
    }

    private ImageData ModelImage(byte[] pixels) => new(Width, Height, _gray ? ImagePixelFormat.Gray8 : ImagePixelFormat.Rgb24, pixels);
}
