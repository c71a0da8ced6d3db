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
    private readonly ImageGrid grid;
    private int count;

    public ComparisonGrid(Autoencoder model, int pairs, string title)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        grid = new ImageGrid(((pairs + PerRow - 1) / PerRow) * 2, Math.Min(PerRow, pairs), model.Width, model.Height) { Title = title };
        Capacity = pairs;
    }

    public int Capacity { get; }

    /// <summary>Adds the next pair; the grid takes ownership of both images.</summary>
    public void Add(Image<Rgb24> original, string? originalCaption, Image<Rgb24> reconstruction, string? reconstructionCaption)
    {
        if (count >= Capacity)
        {
            original.Dispose();
            reconstruction.Dispose();
            throw new InvalidOperationException($"the comparison grid holds {Capacity} pairs");
        }

        int row = (count / PerRow) * 2;
        int column = count % PerRow;
        grid.Set(row, column, original, originalCaption);
        grid.Set(row + 1, column, reconstruction, reconstructionCaption);
        grid.RowLabels[row] = "original";
        grid.RowLabels[row + 1] = "recon";
        count++;
    }

    public void SavePng(string path) => grid.SavePng(path);

    public void Dispose() => grid.Dispose();
}
