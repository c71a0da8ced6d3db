namespace AeOnnx.Imaging;

/// <summary>
/// Counts the scans (SOS segments) of a JPEG by walking its markers, without decoding. A progressive
/// JPEG may repeat small scans thousands of times, and each scan costs the decoder a pass over every
/// block (the scan-bomb class), so the count bounds the decoding work before the decoder runs,
/// whichever decoder that is.
/// </summary>
internal static class JpegScans
{
    /// <summary>The number of SOS markers, counting stops once past <paramref name="stopAfter"/>.</summary>
    public static int Count(ReadOnlySpan<byte> jpeg, int stopAfter)
    {
        var scans = 0;
        var i = 2; // after SOI
        while (i + 1 < jpeg.Length)
        {
            if (jpeg[i] != 0xFF)
            {
                // Not at a marker: garbage between segments. The decoder decides what that means.
                var next = jpeg[i..].IndexOf((byte)0xFF);
                if (next < 0)
                {
                    break;
                }

                i += next;
                continue;
            }

            var marker = jpeg[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            i += 2;
            if (marker == 0xD9)
            {
                break; // EOI
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD8))
            {
                continue; // TEM, RSTn, SOI: no length
            }

            if (i + 1 >= jpeg.Length)
            {
                break;
            }

            var length = (jpeg[i] << 8) | jpeg[i + 1];
            i += length;
            if (marker != 0xDA)
            {
                continue;
            }

            if (++scans > stopAfter)
            {
                return scans;
            }

            // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or an RSTn.
            while (i < jpeg.Length)
            {
                var next = i < jpeg.Length ? jpeg[i..].IndexOf((byte)0xFF) : -1;
                if (next < 0)
                {
                    return scans;
                }

                i += next;
                if (i + 1 >= jpeg.Length)
                {
                    return scans;
                }

                var b = jpeg[i + 1];
                if (b == 0x00 || b is >= 0xD0 and <= 0xD7 || b == 0xFF)
                {
                    i += b == 0xFF ? 1 : 2;
                    continue;
                }

                break;
            }
        }

        return scans;
    }
}
