using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AeOnnx.Cli.Imaging;

/// <summary>
/// Composes model-size images into one labelled picture: an optional title, column headers, row labels on
/// the left and an optional caption under each cell. Images are enlarged by an integer factor with
/// nearest-neighbour sampling so that 28×28 pixels stay crisp; labels use <see cref="BitmapFont"/>.
/// The grid owns the images placed in it and disposes them, so a command never tracks cell lifetimes.
/// </summary>
internal sealed class ImageGrid : IDisposable
{
    private const int Margin = 8;
    private const int Gap = 4;
    private static readonly Rgb24 Background = new(255, 255, 255);
    private static readonly Rgb24 EmptyCell = new(225, 225, 225);
    private static readonly Rgb24 Ink = new(0, 0, 0);
    private static readonly Rgb24 CaptionInk = new(60, 60, 60);

    private readonly Image<Rgb24>?[,] _cells;
    private readonly string?[,] _captions;

    public ImageGrid(int rows, int columns, int imageWidth, int imageHeight, int minCellSize = 84)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Rows = rows;
        Columns = columns;
        Zoom = Math.Max(1, (int)Math.Ceiling(minCellSize / (double)Math.Max(imageWidth, imageHeight)));
        CellWidth = imageWidth * Zoom;
        CellHeight = imageHeight * Zoom;
        _cells = new Image<Rgb24>?[rows, columns];
        _captions = new string?[rows, columns];
        ColumnLabels = new string?[columns];
        RowLabels = new string?[rows];
    }

    public int Rows { get; }

    public int Columns { get; }

    public int Zoom { get; }

    public int CellWidth { get; }

    public int CellHeight { get; }

    public string? Title { get; set; }

    public string?[] ColumnLabels { get; }

    public string?[] RowLabels { get; }

    /// <summary>Places a model-size image; the grid takes ownership (a replaced image is disposed).</summary>
    public void Set(int row, int column, Image<Rgb24> image, string? caption = null)
    {
        if (!ReferenceEquals(_cells[row, column], image))
        {
            _cells[row, column]?.Dispose();
        }

        _cells[row, column] = image;
        _captions[row, column] = caption;
    }

    /// <summary>Leaves a cell empty (drawn as a gray box) with a caption saying why.</summary>
    public void SetEmpty(int row, int column, string? caption)
    {
        _cells[row, column]?.Dispose();
        _cells[row, column] = null;
        _captions[row, column] = caption;
    }

    /// <summary>Renders the grid and saves it as a PNG, atomically.</summary>
    public void SavePng(string path)
    {
        using var rendered = Render();
        ImageFiles.SavePng(rendered, path);
    }

    public void Dispose()
    {
        foreach (var cell in _cells)
        {
            cell?.Dispose();
        }

        Array.Clear(_cells);
    }

    public Image<Rgb24> Render()
    {
        var labelScale = CellWidth >= 64 ? 2 : 1;
        const int captionScale = 1;
        var hasColumnLabels = ColumnLabels.Any(l => !string.IsNullOrEmpty(l));
        var hasRowLabels = RowLabels.Any(l => !string.IsNullOrEmpty(l));
        var hasCaptions = _captions.Cast<string?>().Any(c => !string.IsNullOrEmpty(c));
        var hasTitle = !string.IsNullOrEmpty(Title);

        var titleHeight = hasTitle ? BitmapFont.Height(labelScale) + Gap * 2 : 0;
        var headerHeight = hasColumnLabels ? BitmapFont.Height(labelScale) + Gap : 0;
        var rowLabelWidth = hasRowLabels
            ? Math.Min(RowLabels.Max(l => BitmapFont.MeasureWidth(l ?? string.Empty, labelScale)), CellWidth * 3) + Gap * 2
            : 0;
        var captionHeight = hasCaptions ? BitmapFont.Height(captionScale) + 3 : 0;
        var rowHeight = CellHeight + captionHeight;

        var width = Margin * 2 + rowLabelWidth + Columns * CellWidth + (Columns - 1) * Gap;
        var height = Margin * 2 + titleHeight + headerHeight + Rows * rowHeight + (Rows - 1) * Gap;
        if (hasTitle)
        {
            width = Math.Max(width, Margin * 2 + BitmapFont.MeasureWidth(Title!, labelScale));
        }

        var canvas = new Image<Rgb24>(width, height, Background);
        if (hasTitle)
        {
            BitmapFont.Draw(canvas, Margin, Margin, Title!, labelScale, Ink);
        }

        var gridTop = Margin + titleHeight + headerHeight;
        var gridLeft = Margin + rowLabelWidth;
        for (var c = 0; c < Columns; c++)
        {
            var label = ColumnLabels[c];
            if (!string.IsNullOrEmpty(label))
            {
                var scale = BitmapFont.MeasureWidth(label, labelScale) <= CellWidth ? labelScale : 1;
                var text = BitmapFont.Fit(label, CellWidth, scale);
                var x = gridLeft + c * (CellWidth + Gap) + (CellWidth - BitmapFont.MeasureWidth(text, scale)) / 2;
                BitmapFont.Draw(canvas, x, gridTop - headerHeight + (BitmapFont.Height(labelScale) - BitmapFont.Height(scale)), text, scale, Ink);
            }
        }

        for (var r = 0; r < Rows; r++)
        {
            var top = gridTop + r * (rowHeight + Gap);
            var rowLabel = RowLabels[r];
            if (!string.IsNullOrEmpty(rowLabel))
            {
                var text = BitmapFont.Fit(rowLabel, rowLabelWidth - Gap * 2, labelScale);
                BitmapFont.Draw(canvas, Margin, top + (CellHeight - BitmapFont.Height(labelScale)) / 2, text, labelScale, Ink);
            }

            for (var c = 0; c < Columns; c++)
            {
                var left = gridLeft + c * (CellWidth + Gap);
                var cell = _cells[r, c];
                if (cell is null)
                {
                    Fill(canvas, left, top, CellWidth, CellHeight, EmptyCell);
                }
                else
                {
                    using var zoomed = cell.Clone(x => x.Resize(CellWidth, CellHeight, KnownResamplers.NearestNeighbor));
                    canvas.Mutate(x => x.DrawImage(zoomed, new Point(left, top), 1f));
                }

                var caption = _captions[r, c];
                if (!string.IsNullOrEmpty(caption))
                {
                    var text = BitmapFont.Fit(caption, CellWidth, captionScale);
                    var x = left + (CellWidth - BitmapFont.MeasureWidth(text, captionScale)) / 2;
                    BitmapFont.Draw(canvas, x, top + CellHeight + 2, text, captionScale, CaptionInk);
                }
            }
        }

        return canvas;
    }

    private static void Fill(Image<Rgb24> image, int x, int y, int w, int h, Rgb24 color)
    {
        for (var yy = y; yy < y + h; yy++)
        {
            for (var xx = x; xx < x + w; xx++)
            {
                image[xx, yy] = color;
            }
        }
    }
}
