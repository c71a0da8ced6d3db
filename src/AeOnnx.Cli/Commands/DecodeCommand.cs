using System.CommandLine;
using System.Globalization;
using AeOnnx.Cli.Imaging;
using AeOnnx.Cli.Output;
using SixLabors.ImageSharp;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx decode</c>: latent vectors (.npy, CSV or --latent) to one PNG each.</summary>
internal sealed class DecodeCommand : VerbCommand
{
    private readonly CommonOptions common = new();

    private readonly Argument<string?> latents = new("LATENTS")
    {
        Description = "A .npy [N, D] (as written by encode) or a CSV of latents (one vector a line, optional name column and header)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<string[]> latent = new("--latent")
    {
        Description = "One latent vector on the command line: \"0.1,0.2,...\" (repeatable)",
        HelpName = "VALUES",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string> output = new("--output", "-o")
    {
        Description = "Folder for the PNG images (000000.png, ... by row) and index.csv (row, file, source, status, reason; source: the .npy row or the CSV line's name)",
        HelpName = "DIR",
        Required = true,
    };

    public DecodeCommand(CliConsole console)
        : base("decode", "Decode latent vectors to images: one PNG per row of a .npy or CSV, or per --latent.", console)
    {
        Arguments.Add(latents);
        Options.Add(latent);
        Options.Add(output);
        common.AddTo(this);
    }

    public override string Examples => """
          aeonnx decode latents.npy --output decoded/
          aeonnx decode latents.csv --output decoded/
          aeonnx decode --latent "0.1,-1.2,0.5,..." --output one/
        """;

    protected override Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        string? source = parse.GetValue(latents);
        string[] vectors = parse.GetValue(latent) ?? [];
        if ((source is null) == (vectors.Length == 0))
        {
            throw CliException.Usage("give either LATENTS (a .npy or .csv file) or --latent \"v1,v2,...\", not both.");
        }

        if (source is not null && !File.Exists(source))
        {
            throw CliException.Usage($"'{source}' does not exist.");
        }

        List<float[]> fromCommandLine = vectors.Select(LatentCsv.ParseVector).ToList();
        string folder = Path.GetFullPath(parse.GetValue(output)!);
        bool quiet = parse.GetValue(common.Quiet);
        var outputs = new JobOutputs().Folder("--output", parse.GetValue(output));
        using var claim = outputs.Claim(source is null ? [] : [(source, Path.GetFullPath(source))], Path.Combine(folder, ".aeonnx-lock"));
        OutputFiles.CheckWritable(Path.Combine(folder, "index.csv"));
        var before = ExistingPngs(folder);

        using var model = common.LoadModel(parse, Console);
        using var rows = OpenRows(source, fromCommandLine, model.LatentDim, out long count);
        int digits = Math.Max(6, count.ToString(CultureInfo.InvariantCulture).Length);
        int batchSize = (int)Math.Min(parse.GetValue(common.BatchSize), Math.Max(1, count));
        var progress = new ProgressReporter(Console, "decode", count, quiet);
        var index = new List<string[]>();
        var written = new HashSet<string>(StringComparer.Ordinal);
        var batch = new List<(long Row, string Name, float[] Vector)>(batchSize);
        long row = 0;
        long skipped = 0;
        bool more = true;
        while (more)
        {
            batch.Clear();
            while (batch.Count < batchSize && (more = rows.MoveNext()))
            {
                (string name, float[] vector) = rows.Current;
                if (FailureReason.NonFiniteLatent(vector) is { } reason)
                {
                    // One rule for every verb: a non-finite latent is reported and skipped, never decoded into a black image.
                    index.Add([row.ToString(CultureInfo.InvariantCulture), string.Empty, name, IndexEntry.Skipped, reason]);
                    progress.Warn($"skipped {name}: {reason}");
                    progress.Advance(ok: false);
                    skipped++;
                }
                else
                {
                    batch.Add((row, name, vector));
                }

                row++;
            }

            if (batch.Count == 0)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            float[][] images = model.DecodeBatch(batch.Select(b => b.Vector).ToList());
            for (int i = 0; i < images.Length; i++)
            {
                string rowText = batch[i].Row.ToString(CultureInfo.InvariantCulture);
                if (FailureReason.NonFinite("decoded image", images[i]) is { } reason)
                {
                    index.Add([rowText, string.Empty, batch[i].Name, IndexEntry.Skipped, reason]);
                    progress.Warn($"skipped {batch[i].Name}: {reason}");
                    progress.Advance(ok: false);
                    skipped++;
                    continue;
                }

                string file = rowText.PadLeft(digits, '0') + ".png";
                ImageFiles.SavePng(model.Images.ToImage(images[i]), Path.Combine(folder, file));

                written.Add(file);
                index.Add([rowText, file, batch[i].Name, IndexEntry.Ok, string.Empty]);
                progress.Advance(ok: true);
            }
        }

        progress.Finish();
        // Skipped rows are recorded when read, done ones after their batch: the index lists them in row order.
        CsvText.WriteFile(Path.Combine(folder, "index.csv"), ["row", "file", "source", "status", "reason"], index.OrderBy(r => long.Parse(r[0], CultureInfo.InvariantCulture)));
        List<string> stale = before.Where(f => !written.Contains(f)).Order(StringComparer.Ordinal).ToList();
        if (stale.Count > 0)
        {
            // Not deleted (they may be the user's), but said: a folder listing would otherwise mix two runs.
            Console.Error.WriteLine($"decode: note: '{parse.GetValue(output)}' also holds {stale.Count} PNG(s) this run did not write (e.g. {stale[0]}); index.csv lists this run's files.");
        }

        if (!quiet)
        {
            Console.Out.WriteLine($"decoded {row - skipped} of {row} latents ({skipped} skipped) -> {parse.GetValue(output)} ({model.Width}x{model.Height} PNG each; index.csv maps rows to files)");
        }

        return Task.FromResult(StreamingJob.ExitCode(skipped));
    }

    private static HashSet<string> ExistingPngs(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.png").Select(f => Path.GetFileName(f)).ToHashSet(StringComparer.Ordinal)
            : [];

    /// <summary>
    /// The latent rows to decode, streamed from a .npy (one row at a time) or read from CSV / the command
    /// line. A width other than the model's latent size is refused before anything is decoded.
    /// </summary>
    private static IEnumerator<(string Name, float[] Vector)> OpenRows(string? source, List<float[]> fromCommandLine, int dim, out long count)
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
            string name = Path.GetFileName(source);
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
        foreach (int width in widths)
        {
            if (width != dim)
            {
                throw CliException.Fatal($"{what}: a latent of {width} values; the model's latent size is {dim}.");
            }
        }
    }
}
