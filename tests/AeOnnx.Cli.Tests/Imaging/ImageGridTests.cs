using AeOnnx.Cli.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Tests.Imaging;

public sealed class ImageGridTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Image<Rgb24> Solid(byte value) => new(28, 28, new Rgb24(value, value, value));

    [Fact]
    public void Font_measures_and_fits_text()
    {
        Assert.Equal(((3 * 6) - 1) * 2, BitmapFont.MeasureWidth("abc", 2));
        Assert.Equal("abcd~", BitmapFont.Fit("abcdefghij", 29, 1));
        Assert.True(BitmapFont.MeasureWidth(BitmapFont.Fit("abcdefghij", 29, 1), 1) <= 29);
    }

    [Fact]
    public void Font_draws_distinct_glyphs_for_each_printable_character()
    {
        var seen = new HashSet<string>();
        for (var c = '!'; c <= '~'; c++)
        {
            using var image = new Image<Rgb24>(5, 8, new Rgb24(255, 255, 255));
            BitmapFont.Draw(image, 0, 0, c.ToString(), 1, new Rgb24(0, 0, 0));
            var bits = new System.Text.StringBuilder();
            for (var y = 0; y < 8; y++)
            {
                for (var x = 0; x < 5; x++)
                {
                    bits.Append(image[x, y].R == 0 ? '#' : '.');
                }
            }

            Assert.Contains('#', bits.ToString());
            Assert.True(seen.Add(bits.ToString()), $"glyph for '{c}' repeats another");
        }
    }

    [Fact]
    public void Grid_size_follows_cells_labels_and_zoom()
    {
        var grid = new ImageGrid(rows: 2, columns: 3, imageWidth: 28, imageHeight: 28);
        Assert.Equal(3, grid.Zoom);
        for (var r = 0; r < 2; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                grid.Set(r, c, Solid((byte)(r * 100)));
            }
        }

        using (var plain = grid.Render())
        {
            Assert.Equal((8 * 2) + (3 * 84) + (2 * 4), plain.Width);
            Assert.Equal((8 * 2) + (2 * 84) + 4, plain.Height);
            Assert.Equal(new Rgb24(0, 0, 0), plain[8, 8]); // first cell, black image
            Assert.Equal(new Rgb24(100, 100, 100), plain[8, 8 + 84 + 4]); // second row
        }

        grid.RowLabels[0] = "original";
        grid.ColumnLabels[1] = "t=0.50";
        using var labelled = grid.Render();
        Assert.True(labelled.Width > (8 * 2) + (3 * 84) + (2 * 4));
        Assert.True(labelled.Height > (8 * 2) + (2 * 84) + 4);
        var ink = 0;
        for (var x = 0; x < labelled.Width; x++)
        {
            for (var y = 0; y < 8 + 14; y++)
            {
                ink += labelled[x, y].R == 0 ? 1 : 0;
            }
        }

        Assert.True(ink > 20, "the column label is drawn above the cells");
    }

    [Fact]
    public void Animated_gif_loops_with_the_frame_delay()
    {
        var path = _temp["a.gif"];
        var frames = new List<Image<Rgb24>> { Solid(0), Solid(128), Solid(255) };
        ImageFiles.SaveAnimatedGif(frames, path, zoom: 2, frameDelayCs: 12, grayscale: true);
        frames.ForEach(f => f.Dispose());

        using var gif = Image.Load<Rgb24>(path);
        Assert.Equal(3, gif.Frames.Count);
        Assert.Equal(56, gif.Width);
        Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(12, gif.Frames[i].Metadata.GetGifMetadata().FrameDelay));
        Assert.Equal(128, gif.Frames[1][10, 10].R);
        Assert.Equal(255, gif.Frames[2][10, 10].R);
    }
}
