using System.Buffers;
using AeOnnx.Models;

namespace AeOnnx.Imaging;

/// <summary>
/// Resizes interleaved 8-bit pixels exactly as Pillow's <c>Image.resize</c> does for <c>L</c> and
/// <c>RGB</c> images (the training side's resampler), so that Python and .NET agree to the bit on
/// resized images too. Bilinear and bicubic are Pillow's separable convolution: a filter widened by
/// the downscale factor (antialiasing), coefficients normalized per output pixel and rounded to
/// 22-bit fixed point, a horizontal pass over the rows the vertical pass needs, then a vertical pass,
/// each rounding and clamping to 8 bits. Nearest is Pillow's affine sampling at pixel centers.
/// Facts from Pillow's documented algorithm (libImaging/Resample.c); written here from scratch.
/// </summary>
internal static class PilResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes <paramref name="source"/> (H×W×C) into <paramref name="destination"/> (h×w×C).</summary>
    public static void Resize(ReadOnlySpan<byte> source, int width, int height, int channels, Span<byte> destination, int targetWidth, int targetHeight, ResizeMethod resampler)
    {
        if (resampler == ResizeMethod.Nearest)
        {
            Nearest(source, width, height, channels, destination, targetWidth, targetHeight);
            return;
        }

        var bicubic = resampler == ResizeMethod.Bicubic;
        var support = bicubic ? 2.0 : 1.0;
        var needHorizontal = targetWidth != width;
        var needVertical = targetHeight != height;

        // Every buffer is pooled: the coefficients and the intermediate rows scale with the image,
        // and allocating them per image would be the read path's largest allocation.
        var (kv, boundsV, ksizeV) = Coefficients(height, targetHeight, support, bicubic);
        var (kh, boundsH, ksizeH) = Coefficients(width, targetWidth, support, bicubic);
        byte[]? temp = null;
        int[]? sums = null;
        try
        {
            // The horizontal pass covers only the source rows some output row reads.
            var firstRow = boundsV[0];
            var lastRow = boundsV[(targetHeight * 2) - 2] + boundsV[(targetHeight * 2) - 1];
            var rows = source;
            var rowsWidth = width;
            var rowOffset = 0;
            if (needHorizontal)
            {
                var tempRows = lastRow - firstRow;
                temp = ArrayPool<byte>.Shared.Rent(tempRows * targetWidth * channels);
                for (var y = 0; y < tempRows; y++)
                {
                    var input = source.Slice((y + firstRow) * width * channels, width * channels);
                    var output = temp.AsSpan(y * targetWidth * channels, targetWidth * channels);
                    switch (channels)
                    {
                        case 1:
                            HorizontalGray(input, output, targetWidth, kh, boundsH, ksizeH);
                            break;
                        case 3:
                            HorizontalRgb(input, output, targetWidth, kh, boundsH, ksizeH);
                            break;
                        default:
                            HorizontalAny(input, output, targetWidth, channels, kh, boundsH, ksizeH);
                            break;
                    }
                }

                rows = temp.AsSpan(0, tempRows * targetWidth * channels);
                rowsWidth = targetWidth;
                rowOffset = firstRow;
            }

            if (!needVertical)
            {
                rows[..(targetWidth * targetHeight * channels)].CopyTo(destination);
                return;
            }

            // Rows outer, pixels inner: each tap adds a whole source row, read in order. Integer
            // sums are exact, so the order of the additions does not change a bit of the result.
            var stride = rowsWidth * channels;
            sums = ArrayPool<int>.Shared.Rent(stride);
            var acc = sums.AsSpan(0, stride);
            for (var y = 0; y < targetHeight; y++)
            {
                var min = boundsV[2 * y] - rowOffset;
                var count = boundsV[(2 * y) + 1];
                var k = kv.AsSpan(y * ksizeV, ksizeV);
                acc.Fill(1 << (PrecisionBits - 1));
                for (var i = 0; i < count; i++)
                {
                    var weight = k[i];
                    var row = rows.Slice((i + min) * stride, stride);
                    for (var x = 0; x < row.Length; x++)
                    {
                        acc[x] += row[x] * weight;
                    }
                }

                var output = destination.Slice(y * stride, stride);
                for (var x = 0; x < output.Length; x++)
                {
                    output[x] = Clip8(acc[x]);
                }
            }
        }
        finally
        {
            if (sums is not null)
            {
                ArrayPool<int>.Shared.Return(sums);
            }

            if (temp is not null)
            {
                ArrayPool<byte>.Shared.Return(temp);
            }

            ArrayPool<int>.Shared.Return(kv);
            ArrayPool<int>.Shared.Return(boundsV);
            ArrayPool<int>.Shared.Return(kh);
            ArrayPool<int>.Shared.Return(boundsH);
        }
    }

    /// <summary>Pillow's per-output-pixel filter windows; the arrays are rented and the caller returns them.</summary>
    private static (int[] Kernel, int[] Bounds, int Size) Coefficients(int inSize, int outSize, double filterSupport, bool bicubic)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = filterSupport * filterScale;
        var ksize = ((int)Math.Ceiling(support) * 2) + 1;
        var weights = ksize <= 256 ? stackalloc double[ksize] : new double[ksize];
        var kernel = ArrayPool<int>.Shared.Rent(outSize * ksize);
        var bounds = ArrayPool<int>.Shared.Rent(outSize * 2);
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var ss = 1.0 / filterScale;
            var min = Math.Max((int)(center - support + 0.5), 0);
            var max = Math.Min((int)(center + support + 0.5), inSize) - min;
            var total = 0.0;
            for (var x = 0; x < max; x++)
            {
                var t = (x + min - center + 0.5) * ss;
                var w = bicubic ? Bicubic(t) : Bilinear(t);
                weights[x] = w;
                total += w;
            }

            for (var x = 0; x < ksize; x++)
            {
                var w = x < max ? (total != 0.0 ? weights[x] / total : weights[x]) : 0.0;
                kernel[(xx * ksize) + x] = w < 0 ? (int)(-0.5 + (w * (1 << PrecisionBits))) : (int)(0.5 + (w * (1 << PrecisionBits)));
            }

            bounds[2 * xx] = min;
            bounds[(2 * xx) + 1] = max;
        }

        return (kernel, bounds, ksize);
    }

    private static void Nearest(ReadOnlySpan<byte> source, int width, int height, int channels, Span<byte> destination, int targetWidth, int targetHeight)
    {
        // Pillow maps output pixel centers through an affine transform, stepping the source
        // coordinate by repeated addition and truncating; the same summation gives the same pixels.
        var sx = (double)width / targetWidth;
        var sy = (double)height / targetHeight;
        var yy = sy * 0.5;
        for (var y = 0; y < targetHeight; y++, yy += sy)
        {
            var yin = Math.Min((int)yy, height - 1);
            var xx = sx * 0.5;
            for (var x = 0; x < targetWidth; x++, xx += sx)
            {
                var xin = Math.Min((int)xx, width - 1);
                source.Slice(((yin * width) + xin) * channels, channels).CopyTo(destination.Slice(((y * targetWidth) + x) * channels, channels));
            }
        }
    }

    private static void HorizontalGray(ReadOnlySpan<byte> input, Span<byte> output, int targetWidth, int[] kernel, int[] bounds, int ksize)
    {
        for (var x = 0; x < targetWidth; x++)
        {
            var tap = input.Slice(bounds[2 * x], bounds[(2 * x) + 1]);
            var k = kernel.AsSpan(x * ksize, tap.Length);
            var sum = 1 << (PrecisionBits - 1);
            for (var i = 0; i < tap.Length; i++)
            {
                sum += tap[i] * k[i];
            }

            output[x] = Clip8(sum);
        }
    }

    private static void HorizontalRgb(ReadOnlySpan<byte> input, Span<byte> output, int targetWidth, int[] kernel, int[] bounds, int ksize)
    {
        // The three channels of a tap share its weight: one pass over the taps, three sums.
        for (var x = 0; x < targetWidth; x++)
        {
            var count = bounds[(2 * x) + 1];
            var tap = input.Slice(bounds[2 * x] * 3, count * 3);
            var k = kernel.AsSpan(x * ksize, count);
            int r = 1 << (PrecisionBits - 1), g = r, b = r;
            for (int i = 0, p = 0; i < k.Length && p + 2 < tap.Length; i++, p += 3)
            {
                var w = k[i];
                r += tap[p] * w;
                g += tap[p + 1] * w;
                b += tap[p + 2] * w;
            }

            output[3 * x] = Clip8(r);
            output[(3 * x) + 1] = Clip8(g);
            output[(3 * x) + 2] = Clip8(b);
        }
    }

    private static void HorizontalAny(ReadOnlySpan<byte> input, Span<byte> output, int targetWidth, int channels, int[] kernel, int[] bounds, int ksize)
    {
        for (var x = 0; x < targetWidth; x++)
        {
            var min = bounds[2 * x];
            var count = bounds[(2 * x) + 1];
            var k = kernel.AsSpan(x * ksize, ksize);
            for (var c = 0; c < channels; c++)
            {
                var sum = 1 << (PrecisionBits - 1);
                for (var i = 0; i < count; i++)
                {
                    sum += input[((i + min) * channels) + c] * k[i];
                }

                output[(x * channels) + c] = Clip8(sum);
            }
        }
    }

    private static byte Clip8(int value)
    {
        if (value >= 255 << PrecisionBits)
        {
            return 255;
        }

        return value <= 0 ? (byte)0 : (byte)(value >> PrecisionBits);
    }

    private static double Bilinear(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0)
        {
            return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
        }

        return x < 2.0 ? ((((x - 5) * x) + 8) * x - 4) * a : 0.0;
    }
}
