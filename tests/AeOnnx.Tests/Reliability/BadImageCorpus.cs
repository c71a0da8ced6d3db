using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using AeOnnx.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Tests.Reliability;

/// <summary>
/// One planted input of the bad-image corpus: either refused (<see cref="Expected"/> set: the one
/// <see cref="ImageLoadError"/> the library must report) or valid but unlike the model's input, in
/// which case every model pixel must come out as <see cref="Gray"/> (± <see cref="Tolerance"/>).
/// </summary>
/// <param name="Kind">Short name of the kind, used in test names and docs/RELIABILITY.md.</param>
/// <param name="Path">The planted path (may not exist: broken links, deleted files).</param>
/// <param name="Expected">The error the library reports, or null for a valid image.</param>
/// <param name="Gray">For valid images: the gray value every model pixel must have.</param>
/// <param name="Tolerance">Allowed difference from <see cref="Gray"/> (JPEG is lossy).</param>
/// <param name="Lenient">Damaged, but decoded leniently by ImageSharp: either outcome is accepted.</param>
/// <param name="Listed">False when a folder listing does not yield it as an input (a directory named .png).</param>
public sealed record PlantedImage(string Kind, string Path, ImageLoadError? Expected, int Gray = -1, int Tolerance = 0, bool Listed = true, bool Lenient = false)
{
    public override string ToString() => Kind;
}

/// <summary>
/// Generates the bad-image corpus (no binaries are committed): damaged, hostile and odd files of
/// every supported format, plus valid images that differ from the model (RGBA, 16-bit, palette,
/// other sizes, CMYK) and must be converted, not refused. Every valid one is a constant color, so
/// the expected model pixel is computed here independently of the converter.
/// </summary>
public static class BadImageCorpus
{
    /// <summary>True when this process runs as root (chmod 000 does not stop root from reading).</summary>
    public static bool IsRoot => !OperatingSystem.IsWindows() && (Environment.UserName == "root" || geteuid() == 0);

    /// <summary>The kinds <see cref="Plant"/> creates, for theories (the chmod 000 kind only when not root).</summary>
    public static IEnumerable<object[]> Kinds()
    {
        var folder = Directory.CreateTempSubdirectory("aeonnx-corpus-kinds-").FullName;
        try
        {
            return Plant(folder).Select(p => new object[] { p.Kind }).ToList();
        }
        finally
        {
            Remove(folder);
        }
    }

    /// <summary>
    /// Deletes a folder holding a planted corpus. .NET cannot name the non-UTF-8 file (its path does
    /// not round-trip), so it goes through <c>unlink</c> with the raw bytes first.
    /// </summary>
    public static void Remove(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFileSystemEntries(folder, "latin1-*", SearchOption.AllDirectories))
        {
            var raw = Encoding.UTF8.GetBytes(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, "latin1-")).Concat(new byte[] { 0xe9, 0xff }).Concat(".png\0"u8.ToArray()).ToArray();
            unlink(raw);
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Bytes of a model-size (28×28) gray PNG with varied content: a good image.</summary>
    public static byte[] GoodPng(int seed, int width = 28, int height = 28)
    {
        var random = new Random(seed);
        using var image = new Image<L8>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new L8((byte)random.Next(256));
            }
        }

        return Encode(image, new PngEncoder());
    }

    /// <summary>Plants every kind in <paramref name="folder"/> and returns them in a fixed order.</summary>
    public static List<PlantedImage> Plant(string folder)
    {
        Directory.CreateDirectory(folder);
        var list = new List<PlantedImage>();
        var random = new Random(8);
        string P(string name) => System.IO.Path.Combine(folder, name);
        void Bad(string kind, string name, byte[] bytes, ImageLoadError error)
        {
            File.WriteAllBytes(P(name), bytes);
            list.Add(new PlantedImage(kind, P(name), error));
        }

        // Damage that ImageSharp, like libjpeg and browsers, decodes leniently (missing or garbled
        // pixels) instead of refusing: the outcome must still be a tensor or ImageLoadException.
        void Lenient(string kind, string name, byte[] bytes)
        {
            File.WriteAllBytes(P(name), bytes);
            list.Add(new PlantedImage(kind, P(name), null, Lenient: true));
        }

        void Valid(string kind, string name, byte[] bytes, int gray, int tolerance = 0)
        {
            File.WriteAllBytes(P(name), bytes);
            list.Add(new PlantedImage(kind, P(name), null, gray, tolerance));
        }

        var png = Encode(Solid(new Rgb24(90, 160, 30), 16, 16), new PngEncoder());
        var jpeg = Encode(Solid(new Rgb24(90, 160, 30), 16, 16), new JpegEncoder { Quality = 90 });
        var gif = Encode(Solid(new Rgb24(90, 160, 30), 16, 16), new GifEncoder());
        var bmp = Encode(Solid(new Rgb24(90, 160, 30), 16, 16), new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
        var noise = new byte[4096];
        random.NextBytes(noise);

        // ---- refused: empty, random, text, other formats -------------------------------------
        Bad("zero-bytes", "zero-bytes.png", [], ImageLoadError.Unreadable);
        Bad("random-bytes-png", "random-bytes.png", noise, ImageLoadError.UnsupportedFormat);
        Bad("random-bytes-jpg", "random-bytes.jpg", noise[..1000], ImageLoadError.UnsupportedFormat);
        Bad("text-named-png", "text.png", "this is a text file, not an image\n"u8.ToArray(), ImageLoadError.UnsupportedFormat);
        Bad("tiff-named-png", "tiff.png", EncodeTiff(), ImageLoadError.UnsupportedFormat);

        // ---- refused: truncated at several points ----------------------------------------------
        Bad("png-truncated-signature", "png-cut-8.png", png[..8], ImageLoadError.Corrupt);
        Bad("png-truncated-in-ihdr", "png-cut-20.png", png[..20], ImageLoadError.Corrupt);
        Bad("png-truncated-after-ihdr", "png-cut-33.png", png[..33], ImageLoadError.Corrupt);
        Bad("png-truncated-in-idat", "png-cut-half.png", png[..(png.Length / 2)], ImageLoadError.Corrupt);
        Bad("jpeg-truncated-soi", "jpeg-cut-2.jpg", jpeg[..2], ImageLoadError.UnsupportedFormat);
        Bad("jpeg-truncated-in-header", "jpeg-cut-100.jpg", jpeg[..100], ImageLoadError.Corrupt);
        Bad("jpeg-truncated-in-scan", "jpeg-cut-half.jpg", jpeg[..(jpeg.Length / 2)], ImageLoadError.Corrupt);
        Bad("gif-truncated-signature", "gif-cut-6.gif", gif[..6], ImageLoadError.Corrupt);
        Bad("gif-truncated-after-screen", "gif-cut-13.gif", gif[..13], ImageLoadError.Corrupt);
        Bad("gif-truncated-in-frame", "gif-cut-half.gif", gif[..(gif.Length / 2)], ImageLoadError.Corrupt);
        Bad("bmp-truncated-file-header", "bmp-cut-14.bmp", bmp[..14], ImageLoadError.Corrupt);
        Bad("bmp-truncated-info-header", "bmp-cut-30.bmp", bmp[..30], ImageLoadError.Corrupt);
        Lenient("bmp-truncated-in-pixels", "bmp-cut-half.bmp", bmp[..(bmp.Length / 2)]);

        // ---- refused: damaged content ----------------------------------------------------------
        var badCrc = (byte[])png.Clone();
        badCrc[29] ^= 0xff; // last byte of the IHDR CRC
        Bad("png-bad-ihdr-crc", "png-bad-crc.png", badCrc, ImageLoadError.Corrupt);
        Bad("png-corrupt-zlib", "png-bad-zlib.png", PngWith(16, 16, 8, 0, idat: noise[..64]), ImageLoadError.Corrupt);
        Bad("png-zero-width", "png-zero-width.png", PngWith(0, 16, 8, 0), ImageLoadError.Corrupt);
        Lenient("jpeg-corrupt-huffman", "jpeg-bad-huffman.jpg", CorruptScan(jpeg));
        Lenient("gif-bad-lzw-code-size", "gif-bad-lzw.gif", Gif(1, 1, 1, 90, lzwCodeSize: 0x0f));

        // ---- refused: decompression bombs (header declares huge; refused before allocating) ----
        Bad("png-bomb-100000x100000", "png-bomb.png", PngWith(100_000, 100_000, 8, 0), ImageLoadError.TooLarge);
        Bad("gif-bomb-65535x65535", "gif-bomb.gif", Gif(65535, 65535, 1, 90), ImageLoadError.TooLarge);
        Bad("jpeg-bomb-65500x65500", "jpeg-bomb.jpg", JpegWithSize(jpeg, 65500, 65500), ImageLoadError.TooLarge);
        Bad("bmp-bomb-60000x60000", "bmp-bomb.bmp", BmpWithSize(bmp, 60_000, 60_000), ImageLoadError.TooLarge);
        Bad("bmp-header-over-65535", "bmp-over-65535.bmp", BmpWithSize(bmp, 100_000, 100_000), ImageLoadError.Corrupt);

        // ---- refused: not a readable regular file ----------------------------------------------
        Directory.CreateDirectory(P("directory.png"));
        list.Add(new PlantedImage("directory-named-png", P("directory.png"), ImageLoadError.Unreadable, Listed: false));
        File.CreateSymbolicLink(P("broken-link.png"), P("no-such-target.png"));
        list.Add(new PlantedImage("broken-symlink", P("broken-link.png"), ImageLoadError.NotFound));
        File.CreateSymbolicLink(P("loop-a.png"), P("loop-b.png"));
        File.CreateSymbolicLink(P("loop-b.png"), P("loop-a.png"));
        list.Add(new PlantedImage("symlink-loop", P("loop-a.png"), ImageLoadError.Unreadable));
        if (mkfifo(P("fifo.png"), 0x1b6) == 0)
        {
            list.Add(new PlantedImage("fifo-named-png", P("fifo.png"), ImageLoadError.Unreadable));
        }

        File.CreateSymbolicLink(P("proc-mem.png"), "/proc/self/mem");
        list.Add(new PlantedImage("io-error-proc-self-mem", P("proc-mem.png"), ImageLoadError.Unreadable));
        if (!IsRoot && !OperatingSystem.IsWindows())
        {
            File.WriteAllBytes(P("chmod-000.png"), png);
            File.SetUnixFileMode(P("chmod-000.png"), UnixFileMode.None);
            list.Add(new PlantedImage("chmod-000", P("chmod-000.png"), ImageLoadError.Unreadable));
        }

        // A non-UTF-8 name: .NET decodes it with U+FFFD, so the listed path does not round-trip.
        File.WriteAllBytes(P("latin1-name.png"), png);
        var rawName = Encoding.UTF8.GetBytes(P("latin1-")).Concat(new byte[] { 0xe9, 0xff }).Concat(".png\0"u8.ToArray()).ToArray();
        if (rename(Encoding.UTF8.GetBytes(P("latin1-name.png") + "\0"), rawName) == 0)
        {
            var listed = Directory.GetFiles(folder, "latin1-*").Single();
            list.Add(new PlantedImage("non-utf8-file-name", listed, ImageLoadError.NotFound));
        }

        // ---- valid but unlike the model: converted as the manifest says ------------------------
        Valid("rgba-png", "rgba.png", Encode(SolidRgba(new Rgba32(200, 100, 50, 10)), new PngEncoder()), Gray(200, 100, 50));
        Valid("rgb-png-into-gray-model", "rgb.png", png, Gray(90, 160, 30));
        Valid("png-16-bit-gray", "gray16.png", Encode(Solid16(0xabcd), new PngEncoder { BitDepth = PngBitDepth.Bit16 }), 0xab);
        Valid("png-16-bit-rgb", "rgb48.png", Encode(SolidRgb48(0x1234, 0xfedc, 0x8080), new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb }), Gray(0x12, 0xfe, 0x80));
        Valid("png-palette", "palette.png", Encode(Solid(new Rgb24(10, 200, 30), 16, 16), new PngEncoder { ColorType = PngColorType.Palette }), Gray(10, 200, 30));
        Valid("png-gray-alpha", "gray-alpha.png", Encode(SolidLa(77, 3), new PngEncoder { ColorType = PngColorType.GrayscaleWithAlpha }), 77);
        Valid("png-interlaced", "interlaced.png", Encode(Solid(new Rgb24(90, 160, 30), 16, 16), new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 }), Gray(90, 160, 30));
        Valid("png-1x1", "one-pixel.png", Encode(Solid(new Rgb24(123, 123, 123), 1, 1), new PngEncoder()), 123);
        Valid("png-non-square-56x14", "wide.png", Encode(Solid(new Rgb24(99, 99, 99), 56, 14), new PngEncoder()), 99);
        Valid("png-larger-640x480", "large.png", Encode(Solid(new Rgb24(40, 40, 40), 640, 480), new PngEncoder()), 40);
        Valid("jpeg-cmyk", "cmyk.jpg", CmykJpeg(), CmykGray, 2);
        Valid("png-named-jpg", "png-content.jpg", png, Gray(90, 160, 30));
        Valid("jpeg-named-png", "jpeg-content.png", jpeg, Gray(90, 160, 30), 2);
        Valid("gif-100000-frames", "many-frames.gif", Gif(1, 1, 100_000, 90), 90);
        Valid("bmp-32-bit-alpha", "bgra.bmp", Encode(SolidRgba(new Rgba32(5, 250, 128, 0)), new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel32 }), Gray(5, 250, 128));
        return list;
    }

    /// <summary>What ImageSharp 2.1 makes of the hand-made CMYK JPEG (all components 128): C·K/255 per channel.</summary>
    public const int CmykGray = 64;

    /// <summary>A 16×16 JPEG whose frame header is patched to 65500×65500.</summary>
    public static byte[] JpegBomb() => JpegWithSize(Encode(Solid(new Rgb24(90, 160, 30), 16, 16), new JpegEncoder { Quality = 90 }), 65500, 65500);

    /// <summary>A 16×16 BMP whose info header is patched to 60000×60000.</summary>
    public static byte[] BmpBomb() => BmpWithSize(Encode(Solid(new Rgb24(90, 160, 30), 16, 16), new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }), 60_000, 60_000);

    /// <summary>The contract's BT.601 integer rule, written out independently of the converter.</summary>
    public static int Gray(int r, int g, int b) => ((r * 19595) + (g * 38470) + (b * 7471) + 32768) >> 16;

    /// <summary>A PNG built chunk by chunk with valid CRCs: any IHDR, optional IDAT payload (else a small valid one).</summary>
    public static byte[] PngWith(int width, int height, byte bitDepth, byte colorType, byte[]? idat = null)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
        var ihdr = new byte[13];
        WriteBigEndian(ihdr, 0, width);
        WriteBigEndian(ihdr, 4, height);
        ihdr[8] = bitDepth;
        ihdr[9] = colorType;
        Chunk(stream, "IHDR", ihdr);
        if (idat is null)
        {
            using var compressed = new MemoryStream();
            using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                z.Write(new byte[17 * 16]);
            }

            idat = compressed.ToArray();
        }

        Chunk(stream, "IDAT", idat);
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    /// <summary>A GIF89a built by hand: one color (gray <paramref name="value"/>), <paramref name="frames"/> frames of the given size.</summary>
    public static byte[] Gif(int width, int height, int frames, byte value, byte lzwCodeSize = 2)
    {
        using var stream = new MemoryStream();
        stream.Write("GIF89a"u8);
        stream.Write([(byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0x80, 0, 0]);
        stream.Write([value, value, value, 0, 0, 0]); // global color table, 2 entries
        for (var f = 0; f < frames; f++)
        {
            stream.Write([0x2c, 0, 0, 0, 0, (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0]);

            // LZW, min code size 2: clear (4), index 0, end (5) in 3-bit codes, LSB first.
            stream.Write([lzwCodeSize, 2, 0x44, 0x01, 0]);
        }

        stream.WriteByte(0x3b);
        return stream.ToArray();
    }

    /// <summary>
    /// A baseline 8×8 four-component JPEG with an Adobe marker (transform 0: CMYK) written by hand:
    /// one-code Huffman tables, every coefficient 0, so every sample decodes to 128.
    /// </summary>
    public static byte[] CmykJpeg()
    {
        using var s = new MemoryStream();
        s.Write([0xff, 0xd8]);
        s.Write([0xff, 0xee, 0x00, 0x0e]);
        s.Write("Adobe"u8);
        s.Write([0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);
        s.Write([0xff, 0xdb, 0x00, 0x43, 0x00]);
        s.Write(Enumerable.Repeat((byte)1, 64).ToArray());
        s.Write([0xff, 0xc0, 0x00, 0x14, 0x08, 0x00, 0x08, 0x00, 0x08, 0x04]);
        for (byte c = 1; c <= 4; c++)
        {
            s.Write([c, 0x11, 0x00]);
        }

        foreach (var table in new byte[] { 0x00, 0x10 })
        {
            s.Write([0xff, 0xc4, 0x00, 0x14, table, 1]);
            s.Write(new byte[15]);
            s.WriteByte(0x00); // DC: category 0; AC: end of block
        }

        s.Write([0xff, 0xda, 0x00, 0x0e, 0x04]);
        for (byte c = 1; c <= 4; c++)
        {
            s.Write([c, 0x00]);
        }

        s.Write([0x00, 0x3f, 0x00]);
        s.WriteByte(0x00); // 4 blocks × (DC code '0' + EOB '0') = 8 zero bits
        s.Write([0xff, 0xd9]);
        return s.ToArray();
    }

    private static byte[] Encode(Image image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using (image)
        {
            using var stream = new MemoryStream();
            image.Save(stream, encoder);
            return stream.ToArray();
        }
    }

    private static byte[] EncodeTiff()
    {
        using var image = Solid(new Rgb24(1, 2, 3), 8, 8);
        using var stream = new MemoryStream();
        image.SaveAsTiff(stream);
        return stream.ToArray();
    }

    private static Image<Rgb24> Solid(Rgb24 color, int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(a =>
        {
            for (var y = 0; y < a.Height; y++)
            {
                a.GetRowSpan(y).Fill(color);
            }
        });
        return image;
    }

    private static Image<Rgba32> SolidRgba(Rgba32 color) => new(12, 12, color);

    private static Image<L16> Solid16(ushort value) => new(12, 12, new L16(value));

    private static Image<Rgb48> SolidRgb48(ushort r, ushort g, ushort b) => new(12, 12, new Rgb48(r, g, b));

    private static Image<La16> SolidLa(byte l, byte a) => new(12, 12, new La16(l, a));

    private static byte[] CorruptScan(byte[] jpeg)
    {
        // Overwrite the entropy-coded data after the start-of-scan header with marker-like garbage.
        var bytes = (byte[])jpeg.Clone();
        var sos = IndexOf(bytes, 0xff, 0xda);
        var start = sos + 2 + ((bytes[sos + 2] << 8) | bytes[sos + 3]);
        for (var i = start; i < bytes.Length - 2; i++)
        {
            bytes[i] = (i % 3) == 0 ? (byte)0xff : (byte)0xd5;
        }

        return bytes;
    }

    private static byte[] JpegWithSize(byte[] jpeg, int width, int height)
    {
        var bytes = (byte[])jpeg.Clone();
        var sof = IndexOf(bytes, 0xff, 0xc0);
        if (sof < 0)
        {
            sof = IndexOf(bytes, 0xff, 0xc2);
        }

        bytes[sof + 5] = (byte)(height >> 8);
        bytes[sof + 6] = (byte)height;
        bytes[sof + 7] = (byte)(width >> 8);
        bytes[sof + 8] = (byte)width;
        return bytes;
    }

    private static byte[] BmpWithSize(byte[] bmp, int width, int height)
    {
        var bytes = (byte[])bmp.Clone();
        BitConverter.TryWriteBytes(bytes.AsSpan(18), width);
        BitConverter.TryWriteBytes(bytes.AsSpan(22), height);
        return bytes;
    }

    private static int IndexOf(byte[] bytes, byte a, byte b)
    {
        for (var i = 0; i < bytes.Length - 1; i++)
        {
            if (bytes[i] == a && bytes[i + 1] == b)
            {
                return i;
            }
        }

        return -1;
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        WriteBigEndian(length, 0, data.Length);
        stream.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typed);
        var crc = new byte[4];
        WriteBigEndian(crc, 0, (int)Crc32(typed));
        stream.Write(crc);
    }

    private static void WriteBigEndian(byte[] buffer, int offset, int value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xffffffffu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int rename(byte[] oldPath, byte[] newPath);

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int unlink(byte[] path);
}
