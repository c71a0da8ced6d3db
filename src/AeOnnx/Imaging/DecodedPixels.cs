using System.Runtime.InteropServices;

namespace AeOnnx.Imaging;

/// <summary>The first frame of an image as decoded, in a pooled buffer the owner returns by disposing.</summary>
internal sealed class DecodedPixels : IDisposable
{
    private byte[]? _buffer;

    public DecodedPixels(int width, int height, PixelLayout layout)
    {
        Width = width;
        Height = height;
        Layout = layout;
        var bytes = (long)width * height * BytesPerPixel(layout);
        _buffer = PixelBuffers.Rent(checked((int)bytes));
        ByteCount = (int)bytes;
    }

    public int Width { get; }

    public int Height { get; }

    public PixelLayout Layout { get; }

    public int ByteCount { get; }

    public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(DecodedPixels));

    public Span<byte> Bytes => Buffer.AsSpan(0, ByteCount);

    public ReadOnlySpan<float> Floats => MemoryMarshal.Cast<byte, float>(Bytes);

    public static int BytesPerPixel(PixelLayout layout) => layout switch
    {
        PixelLayout.Gray8 => 1,
        PixelLayout.Rgba8888 => 4,
        _ => 16,
    };

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            PixelBuffers.Return(buffer);
        }
    }
}
