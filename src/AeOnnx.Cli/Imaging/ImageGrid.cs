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

    private readonly Image<Rgb24>?[,] cells;
    private readonly string?[,] captions;

    public ImageGrid(int rows, int columns, int imageWidth, int imageHeight, int minCellSize = 84)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Rows = rows;
        Columns = columns;
        Zoom = Math.Max(1, (int)Math.Ceiling(minCellSize / (double)Math.Max(imageWidth, imageHeight)));
        CellWidth = imageWidth * Zoom;
        CellHeight = imageHeight * Zoom;
        cells = new Image<Rgb24>?[rows, columns];
        captions = new string?[rows, columns];
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
        if (!ReferenceEquals(cells[row, column], image))
        {
            cells[row, column]?.Dispose();
        }

        cells[row, column] = image;
        captions[row, column] = caption;
    }

    /// <summary>Leaves a cell empty (drawn as a gray box) with a caption saying why.</summary>
    public void SetEmpty(int row, int column, string? caption)
    {
        cells[row, column]?.Dispose();
        cells[row, column] = null;
        captions[row, column] = caption;
    }

    /// <summary>Renders the grid and saves it as a PNG, atomically.</summary>
    public void SavePng(string path)
    {
        using var rendered = Render();
        ImageFiles.SavePng(rendered, path);
    }

    public void Dispose()
    {
        foreach (var cell in cells)
        {
            cell?.Dispose();
        }

        Array.Clear(cells);
    }

    public Image<Rgb24> Render()
    {
        int labelScale = CellWidth >= 64 ? 2 : 1;
        const int captionScale = 1;
        bool hasColumnLabels = ColumnLabels.Any(l => !string.IsNullOrEmpty(l));
        bool hasRowLabels = RowLabels.Any(l => !string.IsNullOrEmpty(l));
        bool hasCaptions = captions.Cast<string?>().Any(c => !string.IsNullOrEmpty(c));
        bool hasTitle = !string.IsNullOrEmpty(Title);

        int titleHeight = hasTitle ? BitmapFont.Height(labelScale) + Gap * 2 : 0;
        int headerHeight = hasColumnLabels ? BitmapFont.Height(labelScale) + Gap : 0;
        int rowLabelWidth = hasRowLabels
            ? Math.Min(RowLabels.Max(l => BitmapFont.MeasureWidth(l ?? string.Empty, labelScale)), CellWidth * 3) + Gap * 2
            : 0;
        int captionHeight = hasCaptions ? BitmapFont.Height(captionScale) + 3 : 0;
        int rowHeight = CellHeight + captionHeight;

        int width = Margin * 2 + rowLabelWidth + Columns * CellWidth + (Columns - 1) * Gap;
        int height = Margin * 2 + titleHeight + headerHeight + Rows * rowHeight + (Rows - 1) * Gap;
        if (hasTitle)
        {
            width = Math.Max(width, Margin * 2 + BitmapFont.MeasureWidth(Title!, labelScale));
        }

        var canvas = new Image<Rgb24>(width, height, Background);
        if (hasTitle)
        {
            BitmapFont.Draw(canvas, Margin, Margin, Title!, labelScale, Ink);
        }

        int gridTop = Margin + titleHeight + headerHeight;
        int gridLeft = Margin + rowLabelWidth;
        for (int c = 0; c < Columns; c++)
        {
            string? label = ColumnLabels[c];
            if (!string.IsNullOrEmpty(label))
            {
                int scale = BitmapFont.MeasureWidth(label, labelScale) <= CellWidth ? labelScale : 1;
                string text = BitmapFont.Fit(label, CellWidth, scale);
                int x = gridLeft + c * (CellWidth + Gap) + (CellWidth - BitmapFont.MeasureWidth(text, scale)) / 2;
                BitmapFont.Draw(canvas, x, gridTop - headerHeight + (BitmapFont.Height(labelScale) - BitmapFont.Height(scale)), text, scale, Ink);
            }
        }

        for (int r = 0; r < Rows; r++)
        {
            int top = gridTop + r * (rowHeight + Gap);
            string? rowLabel = RowLabels[r];
            if (!string.IsNullOrEmpty(rowLabel))
            {
                string text = BitmapFont.Fit(rowLabel, rowLabelWidth - Gap * 2, labelScale);
                BitmapFont.Draw(canvas, Margin, top + (CellHeight - BitmapFont.Height(labelScale)) / 2, text, labelScale, Ink);
            }

            for (int c = 0; c < Columns; c++)
            {
                int left = gridLeft + c * (CellWidth + Gap);
                var cell = cells[r, c];
                if (cell is null)
                {
                    Fill(canvas, left, top, CellWidth, CellHeight, EmptyCell);
                }
                else
                {
                    using var zoomed = cell.Clone(x => x.Resize(CellWidth, CellHeight, KnownResamplers.NearestNeighbor));
                    canvas.Mutate(x => x.DrawImage(zoomed, new Point(left, top), 1f));
                }

                string? caption = captions[r, c];
                if (!string.IsNullOrEmpty(caption))
                {
                    string text = BitmapFont.Fit(caption, CellWidth, captionScale);
                    int x = left + (CellWidth - BitmapFont.MeasureWidth(text, captionScale)) / 2;
                    BitmapFont.Draw(canvas, x, top + CellHeight + 2, text, captionScale, CaptionInk);
                }
            }
        }

        return canvas;
    }

    private static void Fill(Image<Rgb24> image, int x, int y, int w, int h, Rgb24 color)
    {
        for (int yy = y; yy < y + h; yy++)
        {
            for (int xx = x; xx < x + w; xx++)
            {
                image[xx, yy] = color;
            }
        }
    }
}
