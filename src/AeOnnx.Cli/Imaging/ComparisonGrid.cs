using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Cli.Imaging;

/// <summary>
/// The one comparison picture of the CLI (reconstruct --comparison, outliers --grid): originals as the model
/// sees them above their reconstructions, 8 pairs a row, each captioned. Owns its images through the grid.
/// </summary>
internal sealed class ComparisonGrid : IDisposable
{
    public const int PerRow = 8;
    private readonly ImageGrid _grid;
    private int _count;

    public ComparisonGrid(Autoencoder model, int pairs, string title)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        _grid = new ImageGrid(((pairs + PerRow - 1) / PerRow) * 2, Math.Min(PerRow, pairs), model.Width, model.Height) { Title = title };
        Capacity = pairs;
    }

    public int Capacity { get; }

    /// <summary>Adds the next pair; the grid takes ownership of both images.</summary>
    public void Add(Image<Rgb24> original, string? originalCaption, Image<Rgb24> reconstruction, string? reconstructionCaption)
    {
        if (_count >= Capacity)
        {
            original.Dispose();
            reconstruction.Dispose();
            throw new InvalidOperationException($"the comparison grid holds {Capacity} pairs");
        }

        var row = (_count / PerRow) * 2;
        var column = _count % PerRow;
        _grid.Set(row, column, original, originalCaption);
        _grid.Set(row + 1, column, reconstruction, reconstructionCaption);
        _grid.RowLabels[row] = "original";
        _grid.RowLabels[row + 1] = "recon";
        _count++;
    }

    public void SavePng(string path) => _grid.SavePng(path);

    public void Dispose() => _grid.Dispose();
}
