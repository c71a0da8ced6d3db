using System.Globalization;
using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Jobs;

/// <summary>
/// The latent rows <c>decode</c> reads, each with the name the index shows as its source: streamed from a
/// .npy (one row at a time), or read from a CSV or the command line. A width other than the model's latent
/// size is refused before anything is decoded.
/// </summary>
internal static class LatentRows
{
    public static IEnumerator<(string Name, float[] Vector)> Open(string? source, List<float[]> fromCommandLine, int dim, out long count)
    {
        if (source is null)
        {
            CheckWidth(fromCommandLine.Select(v => v.Length), dim, "--latent");
            count = fromCommandLine.Count;
            return fromCommandLine.Select((v, i) => ($"--latent #{i + 1}", v)).GetEnumerator();
        }

        if (source.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            NpyReader reader;
            try
            {
                reader = NpyReader.Open(source);
            }
            catch (InvalidDataException e)
            {
                throw CliException.Usage($"'{source}' is not a usable .npy of latents: {e.Message}");
            }

            if (reader.Columns != dim)
            {
                reader.Dispose();
                throw CliException.Fatal($"'{source}' holds latents of {reader.Columns} values; the model's latent size is {dim}.");
            }

            count = reader.Rows;
            return ReadNpy(reader, source);
        }

        List<(string? Name, float[] Vector)> csvRows;
        try
        {
            csvRows = LatentCsv.Read(source);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or CsvHelper.CsvHelperException)
        {
            throw CliException.Usage($"'{source}' is neither a .npy file nor a CSV of numbers: {e.Message}");
        }

        CheckWidth(csvRows.Select(r => r.Vector.Length), dim, source);
        count = csvRows.Count;
        return csvRows.Select((r, i) => (r.Name ?? $"{Path.GetFileName(source)} line {i + 1}", r.Vector)).GetEnumerator();
    }

    private static IEnumerator<(string, float[])> ReadNpy(NpyReader reader, string source)
    {
        using (reader)
        {
            var name = Path.GetFileName(source);
            for (long r = 0; r < reader.Rows; r++)
            {
                var vector = new float[reader.Columns];
                reader.ReadRow(vector);
                yield return (string.Create(CultureInfo.InvariantCulture, $"{name} row {r}"), vector);
            }
        }
    }

    private static void CheckWidth(IEnumerable<int> widths, int dim, string what)
    {
        foreach (var width in widths)
        {
            if (width != dim)
            {
                throw CliException.Fatal($"{what}: a latent of {width} values; the model's latent size is {dim}.");
            }
        }
    }
}
