using AeOnnx.Imaging;
using AeOnnx.Models;
using AeOnnx.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Tests.Imaging;

/// <summary>
/// The Skia read path: the decoding-work bound (progressive JPEG scan bombs), formats outside the
/// five supported ones, the alpha rule for transparent GIF palette entries, the JPEG draft scale rule
/// and the bound on the model's input size.
/// </summary>
public sealed class ImageDecoderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ImageSpec Gray(int size = 8) => new() { Channels = 1, Height = size, Width = size, Color = ImageColor.Gray, Scale = 255f, Mean = [0f], Std = [1f], Resize = ResizeMethod.Bilinear, };

    private static ImageSpec Rgb(int size = 8) => Gray(size) with { Channels = 3, Color = ImageColor.Rgb, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };

    [Fact]
    public void Progressive_jpeg_within_the_scan_limit_decodes()
    {
        var path = _temp.File("ok.jpg");
        File.WriteAllBytes(path, ProgressiveJpeg(0));
        Assert.Equal(64, JpegScans.Count(File.ReadAllBytes(path), int.MaxValue));
        var tensor = new ImageConverter(Gray()).LoadTensor(path);

        // Every coefficient is 0, so every sample is the level shift, 128.
        Assert.All(tensor, v => Assert.Equal(128f / 255f, v));
    }

    [Theory]
    [InlineData(3)]   // 253 scans
    [InlineData(13)]  // 883 scans: the most a valid 8-bit progression can have
    public void Scan_bomb_is_refused_as_too_large_before_decoding(int refinements)
    {
        // A valid progression (libjpeg-turbo in PIL decodes it), refused for the work it would cost.
        var path = _temp.File("bomb.jpg");
        File.WriteAllBytes(path, ProgressiveJpeg(refinements));
        Assert.Equal(1 + (63 * (1 + refinements)), JpegScans.Count(File.ReadAllBytes(path), int.MaxValue));
        var error = Assert.Throws<ImageLoadException>(() => new ImageConverter(Gray()).LoadTensor(path));
        Assert.Equal(ImageLoadError.TooLarge, error.Error);
        Assert.Equal($"Cannot load image {path}: too large: the JPEG has more than 200 scans (the limit that bounds decoding work per image).", error.Message);
    }

    [Fact]
    public void Repeated_identical_scans_are_refused_whatever_the_limit()
    {
        // The published bomb repeats one AC scan; the scan bound refuses it by count, and Skia
        // refuses the bogus progression itself when the bound is lifted: both report, neither hangs.
        var path = _temp.File("repeat.jpg");
        File.WriteAllBytes(path, RepeatedScanJpeg(20_000));
        Assert.Equal(ImageLoadError.TooLarge, Assert.Throws<ImageLoadException>(() => new ImageConverter(Gray()).LoadTensor(path)).Error);
        var lifted = new ImageConverter(Gray(), new ImageLimits { MaxJpegScans = int.MaxValue });
        Assert.Equal(ImageLoadError.Corrupt, Assert.Throws<ImageLoadException>(() => lifted.LoadTensor(path)).Error);
    }

    [Fact]
    public void Scan_limit_is_configurable()
    {
        var path = _temp.File("sixty-four.jpg");
        File.WriteAllBytes(path, ProgressiveJpeg(0));
        var strict = new ImageConverter(Gray(), new ImageLimits { MaxJpegScans = 63 });
        Assert.Equal(ImageLoadError.TooLarge, Assert.Throws<ImageLoadException>(() => strict.LoadTensor(path)).Error);
        Assert.Equal(64, new ImageConverter(Gray(), new ImageLimits { MaxJpegScans = 64 }).LoadTensor(path).Length);
    }

    [Fact]
    public void Formats_skia_knows_but_the_contract_does_not_are_unsupported()
    {
        // An ICO (Skia decodes it, PIL too) is outside PNG/JPEG/BMP/GIF/WebP: refused by signature.
        using var png = new MemoryStream();
        using (var image = new Image<Rgb24>(8, 8))
        {
            image.SaveAsPng(png, new PngEncoder());
        }

        var pngBytes = png.ToArray();
        var ico = new byte[22 + pngBytes.Length];
        ico[2] = 1; // type: icon
        ico[4] = 1; // one image
        ico[6] = 8;
        ico[7] = 8;
        BitConverter.GetBytes(pngBytes.Length).CopyTo(ico, 14);
        BitConverter.GetBytes(22).CopyTo(ico, 18);
        pngBytes.CopyTo(ico, 22);
        var path = _temp.File("icon.png");
        File.WriteAllBytes(path, ico);
        var error = Assert.Throws<ImageLoadException>(() => new ImageConverter(Gray()).LoadTensor(path));
        Assert.Equal(ImageLoadError.UnsupportedFormat, error.Error);
        Assert.Equal($"Cannot load image {path}: unsupported format: not a PNG, JPEG, BMP, GIF or WebP image.", error.Message);
    }

    [Fact]
    public void Transparent_gif_palette_entry_is_black_and_opaque_entries_keep_their_color()
    {
        // 4×2 GIF89a, palette [white, (10, 120, 200)], index 0 transparent; top row index 0, bottom row 1.
        byte[] gif =
        [
            .. "GIF89a"u8, 4, 0, 2, 0, 0x80, 0, 0,
            255, 255, 255, 10, 120, 200,
            0x21, 0xF9, 4, 0x01, 0, 0, 0, 0, // graphic control: transparency flag, index 0
            0x2C, 0, 0, 0, 0, 4, 0, 2, 0, 0,
            2, 5, 0x04, 0x08, 0x30, 0x61, 0x52, 0, // LZW, 3-bit codes: clear,0,0 clear,0,0 clear,1,1 clear,1,1 end
            0x3B,
        ];
        var path = _temp.File("t.gif");
        File.WriteAllBytes(path, gif);
        var converter = new ImageConverter(Rgb(4) with { Height = 2 });
        using var image = TestImages.ToImageSharp<Rgb24>(converter.LoadModelImage(path));
        Assert.Equal(new Rgb24(0, 0, 0), image[0, 0]);
        Assert.Equal(new Rgb24(0, 0, 0), image[3, 0]);
        Assert.Equal(new Rgb24(10, 120, 200), image[0, 1]);
        Assert.Equal(new Rgb24(10, 120, 200), image[3, 1]);
    }

    [Theory]
    [InlineData(640, 480, 32, 32, 8)]
    [InlineData(255, 480, 32, 32, 4)]   // 255 / 32 = 7
    [InlineData(200, 100, 32, 32, 2)]
    [InlineData(63, 300, 32, 32, 1)]    // ceil(63 / 2) = 32 would fit, but the rule is 63 >= 2 * 32
    [InlineData(32, 32, 32, 32, 1)]
    [InlineData(10, 10, 32, 32, 1)]
    public void Jpeg_draft_scale_is_pil_rule(int width, int height, int modelWidth, int modelHeight, int expected) =>
        Assert.Equal(expected, ImageDecoder.DraftScale(width, height, modelWidth, modelHeight));

    [Fact]
    public void Jpeg_draft_missing_from_manifest_means_full_size_decoding()
    {
        const string without = """{"channels":3,"height":32,"width":32,"color":"rgb","scale":255,"mean":[0,0,0],"std":[1,1,1],"resize":"bilinear"}""";
        Assert.False(ImageSpecReader.ValidateInput(ManifestReader.ParseInput(without, "m.json", "input"), "m.json", "input").JpegDraft);
        var with = without.Replace("}", ""","jpeg_draft":true}""", StringComparison.Ordinal);
        Assert.True(ImageSpecReader.ValidateInput(ManifestReader.ParseInput(with, "m.json", "input"), "m.json", "input").JpegDraft);
    }

    [Fact]
    public void Model_input_larger_than_the_bound_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new ImageConverter(Gray() with { Height = 8192, Width = 8192 }));
        Assert.Contains("expected at most 16777216 values per image", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A progressive 8×8 gray JPEG written by hand, every coefficient 0: a DC scan, then for each of
    /// the 63 AC coefficients a first scan at point transform <paramref name="refinements"/> and that
    /// many refinement scans: 1 + 63 × (1 + refinements) scans, a valid progression.
    /// </summary>
    private static byte[] ProgressiveJpeg(int refinements)
    {
        var s = JpegHeader();
        s.Write([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]);
        for (byte k = 1; k <= 63; k++)
        {
            s.Write([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, k, k, (byte)refinements, 0x00]);
            for (var ah = refinements; ah > 0; ah--)
            {
                s.Write([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, k, k, (byte)((ah << 4) | (ah - 1)), 0x00]);
            }
        }

        s.Write([0xFF, 0xD9]);
        return s.ToArray();
    }

    /// <summary>The published shape of the bomb: a DC scan, then one AC scan repeated <paramref name="count"/> times.</summary>
    private static byte[] RepeatedScanJpeg(int count)
    {
        var s = JpegHeader();
        s.Write([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]);
        for (var i = 0; i < count; i++)
        {
            s.Write([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x3F, 0x00, 0x00]);
        }

        s.Write([0xFF, 0xD9]);
        return s.ToArray();
    }

    private static MemoryStream JpegHeader()
    {
        var s = new MemoryStream();
        s.Write([0xFF, 0xD8]);
        s.Write([0xFF, 0xDB, 0x00, 0x43, 0x00]);
        s.Write(Enumerable.Repeat((byte)1, 64).ToArray());
        s.Write([0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00]);
        foreach (var table in new byte[] { 0x00, 0x10 })
        {
            s.Write([0xFF, 0xC4, 0x00, 0x14, table, 1]);
            s.Write(new byte[15]);
            s.WriteByte(0x00); // DC: category 0; AC: end of band
        }

        return s;
    }
}
