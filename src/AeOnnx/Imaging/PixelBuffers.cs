using System.Buffers;

namespace AeOnnx.Imaging;

/// <summary>
/// Byte buffers for encoded files and decoded pixels. Buffers up to <see cref="MaxPooledBytes"/> (every
/// image of the hot path: a Fashion-MNIST PNG, a photo after JPEG draft scaling) come from the shared
/// pool, so a folder job allocates nothing per image; larger ones are allocated and left to the GC. The
/// shared pool keeps what it is given for as long as no memory pressure trims it, so pooling the
/// occasional 40-megapixel decode would keep hundreds of megabytes after a burst of large images.
/// </summary>
internal static class PixelBuffers
{
    /// <summary>Largest buffer taken from (and returned to) the shared pool: 1 MiB.</summary>
    public const int MaxPooledBytes = 1 << 20;

    /// <summary>A buffer of at least <paramref name="length"/> bytes; give it back with <see cref="Return"/>.</summary>
    public static byte[] Rent(int length) =>
        length <= MaxPooledBytes ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    /// <summary>Returns a pooled buffer; a large one is simply dropped.</summary>
    public static void Return(byte[] buffer)
    {
        // The pool rounds a rent up to a power of two no larger than MaxPooledBytes, so length tells which kind it is.
        if (buffer.Length <= MaxPooledBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
