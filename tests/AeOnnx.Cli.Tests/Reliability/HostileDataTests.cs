using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Tests.Reliability;

/// <summary>
/// Issue 12, crashes and wrong results: names that CSV must carry byte-exact, non-finite latents and outputs,
/// hostile .npy headers, damaged journals, models that fail only when run, and the smaller cases.
/// </summary>
public sealed class HostileDataTests : IClassFixture<ModelFixture>, IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly Autoencoder _model;

    public HostileDataTests(ModelFixture fixture) => _model = fixture.Model;

    public void Dispose() => _temp.Dispose();

    private static Task<CliRun> Run(params string[] args) => CliRun.InProcessAsync([.. args, .. CliFixtures.ModelArgs]);

    private static void AssertNoStackTrace(CliRun run) =>
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);

    /// <summary>Names with a newline, a comma, quotes, a backslash (a name character on Unix), and one of 250 bytes.</summary>
    private string[] PlantHostileNames(string folder)
    {
        Directory.CreateDirectory(folder);
        string[] names = ["new\nline.png", "comma, \"quoted\".png", @"back\slash.png", "back", new string('n', 246) + ".png", " edge space .png"];
        for (var i = 0; i < names.Length; i++)
        {
            if (names[i] == "back")
            {
                // "back/slash.png": the name a backslash used to be turned into; both must stay distinct.
                Directory.CreateDirectory(Path.Combine(folder, "back"));
                File.Copy(Repo.SampleFiles[i], Path.Combine(folder, "back", "slash.png"));
                names[i] = "back/slash.png";
                continue;
            }

            File.Copy(Repo.SampleFiles[i], Path.Combine(folder, names[i]));
        }

        return names;
    }

    [Fact]
    public async Task Hostile_file_names_survive_index_journal_resume_csv_and_decode_byte_exact()
    {
        var d = _temp["d"];
        var names = PlantHostileNames(d);
        var expected = names.Select(n => d + "/" + n).Order(StringComparer.Ordinal).ToArray();

        var whole = await Run("encode", d, "--output", _temp["whole/z.npy"], "--csv", _temp["whole/z.csv"]);
        Assert.True(whole.ExitCode == ExitCodes.Success, whole.ToString());
        var index = CliFixtures.ReadIndex(_temp["whole/z.index.csv"]);
        Assert.Equal(expected, index.Select(e => e.Path));
        var z = NpyFile.ReadAll(_temp["whole/z.npy"]);
        for (var i = 0; i < index.Count; i++)
        {
            var latent = _model.Encode(index[i].Path); // the path in the index opens the very file
            Assert.Equal(latent, Enumerable.Range(0, _model.LatentDim).Select(c => z[i, c]));
        }

        // Interrupted after 3 inputs (the journal then holds the newline and comma names) and resumed.
        string[] args = ["encode", d, "--output", _temp["resumed/z.npy"], "--csv", _temp["resumed/z.csv"], "--resume", .. CliFixtures.ModelArgs];
        Assert.Equal(ExitCodes.Interrupted, (await CliRun.InProcessAsync(3, args)).ExitCode);
        var resumed = await CliRun.InProcessAsync(args);
        Assert.True(resumed.ExitCode == ExitCodes.Success, resumed.ToString());
        Assert.Equal(File.ReadAllBytes(_temp["whole/z.index.csv"]), File.ReadAllBytes(_temp["resumed/z.index.csv"]));
        Assert.Equal(File.ReadAllBytes(_temp["whole/z.npy"]), File.ReadAllBytes(_temp["resumed/z.npy"]));

        // encode's own --csv decodes, with the names as the sources.
        var decoded = await Run("decode", _temp["whole/z.csv"], "--output", _temp["dec"]);
        Assert.True(decoded.ExitCode == ExitCodes.Success, decoded.ToString());
        Assert.Equal(expected, LatentCsv.Read(_temp["whole/z.csv"]).Select(r => r.Name));

        // reconstruct writes one PNG per input, the 250-byte name included.
        var reconstructed = await Run("reconstruct", d, "--output", _temp["rec"]);
        Assert.True(reconstructed.ExitCode == ExitCodes.Success, reconstructed.ToString());
        Assert.Equal(names.Length + 1, Directory.GetFiles(_temp["rec"]).Length);
    }

    [Fact]
    public void Index_records_round_trip_every_name_byte_exact()
    {
        foreach (var name in new[] { "a\nb.png", "a\r\nb.png", "a\rb.png", "a,b.png", "\"q\".png", @"c:\x\y.png", " lead.png", "trail.png ", "a\n\nb.png", "ünï©ødé.png" })
        {
            var entry = new IndexEntry(3, name, IndexEntry.Ok, string.Empty);
            Assert.Equal(entry, IndexCsv.ParseLine(IndexCsv.Format(entry, withErrors: false)));
            var path = _temp.Write("i.csv", IndexCsv.Render([entry, entry with { Row = 4 }], withErrors: false));
            Assert.Equal([entry, entry with { Row = 4 }], IndexCsv.Read(path).Entries);
            Assert.Equal(name.IndexOfAny([',', '"', '\r', '\n']) >= 0 || name.StartsWith(' ') || name.EndsWith(' '), IndexCsv.Format(entry, false).Contains('"'));
        }
    }

    [Fact]
    public async Task Decode_reports_and_skips_non_finite_latents_and_writes_every_finite_one()
    {
        // float64 rows: NaN, +inf, a value beyond float32 (becomes +inf), and two good rows.
        double[][] rows =
        [
            [.. Enumerable.Repeat(0.1, 16)],
            [double.NaN, .. Enumerable.Repeat(0.0, 15)],
            [.. Enumerable.Repeat(0.0, 15), double.NegativeInfinity],
            [1e300, .. Enumerable.Repeat(0.0, 15)],
            [.. Enumerable.Repeat(-0.2, 16)],
        ];
        var npy = _temp.Write("z.npy", NpyBytes("<f8", "(5, 16)", rows.SelectMany(r => r).SelectMany(v => BitConverter.GetBytes(v)).ToArray()));
        var run = await Run("decode", npy, "--output", _temp["out"]);
        Assert.True(run.ExitCode == ExitCodes.SomeInputsSkipped, run.ToString());
        Assert.Equal(["000000.png", "000004.png", "index.csv"], Directory.GetFiles(_temp["out"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var index = File.ReadAllLines(_temp["out/index.csv"]);
        Assert.Equal("0,000000.png,z.npy row 0,ok,", index[1]);
        Assert.StartsWith("1,,z.npy row 1,skipped,the latent has a non-finite value (NaN at z0", index[2], StringComparison.Ordinal);
        Assert.Contains("(-Infinity at z15", index[3], StringComparison.Ordinal);
        Assert.Contains("(Infinity at z0; float64 values beyond float32 become infinity", index[4], StringComparison.Ordinal);

        var commandLine = await Run("decode", "--latent", "NaN," + string.Join(',', Enumerable.Repeat("0", 15)), "--output", _temp["one"]);
        Assert.Equal(ExitCodes.SomeInputsSkipped, commandLine.ExitCode);
        Assert.False(File.Exists(_temp["one/000000.png"]));
    }

    [Fact]
    public async Task A_model_with_non_finite_outputs_has_every_item_reported_in_every_verb()
    {
        var nan = CliFixtures.CopyModel(_temp["nan-model"], folder =>
        {
            var decoder = Path.Combine(folder, "decoder.onnx");
            File.WriteAllBytes(decoder, AeOnnx.Tests.Reliability.OnnxSurgery.FillWithNaN(File.ReadAllBytes(decoder), "decoder.body.7.bias"));
        });
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 2);
        string[] args = ["--model", nan, "--device", "cpu", "--threads", "1", "--quiet"];

        var reconstruct = await CliRun.InProcessAsync(["reconstruct", d, "--output", _temp["r"], .. args]);
        Assert.Equal(ExitCodes.SomeInputsSkipped, reconstruct.ExitCode);
        Assert.Equal(["index.csv"], Directory.GetFiles(_temp["r"]).Select(Path.GetFileName));

        var outliers = await CliRun.InProcessAsync(["outliers", d, "--output", _temp["o.csv"], .. args]);
        Assert.Equal(ExitCodes.SomeInputsSkipped, outliers.ExitCode);
        Assert.All(File.ReadAllLines(_temp["o.csv"]).Skip(1), line => Assert.Contains(",skipped,the model produced non-finite values", line, StringComparison.Ordinal));
        Assert.False(File.Exists(_temp["o.png"]));

        var decode = await CliRun.InProcessAsync(["decode", "--latent", string.Join(',', Enumerable.Repeat("0", 16)), "--output", _temp["dec"], .. args]);
        Assert.Equal(ExitCodes.SomeInputsSkipped, decode.ExitCode);
        Assert.False(File.Exists(_temp["dec/000000.png"]));

        var sample = await CliRun.InProcessAsync(["sample", "--count", "2", "--output", _temp["s.png"], "--latents", _temp["s.npy"], .. args]);
        Assert.Equal(ExitCodes.SomeInputsSkipped, sample.ExitCode);
        Assert.Contains("sample #1: the model produced non-finite values", sample.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp["s.npy"]));

        var interpolate = await CliRun.InProcessAsync(["interpolate", Path.Combine(d, "00000.png"), Path.Combine(d, "00001.png"), "--output", _temp["i.png"], "--gif", _temp["i.gif"], .. args]);
        Assert.True(interpolate.ExitCode == ExitCodes.Fatal, interpolate.ToString());
        Assert.Contains("non-finite values (NaN or infinity) for 8 of 8 images", interpolate.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp["i.png"]) || File.Exists(_temp["i.gif"]));
    }

    [Fact]
    public async Task Sample_with_an_overflowing_cholesky_reports_instead_of_drawing_black_cells()
    {
        var huge = CliFixtures.CopyModel(_temp["huge"]);
        var manifestPath = Path.Combine(huge, "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        var cholesky = manifest["latent"]!["cholesky"]!.AsArray();
        for (var i = 0; i < cholesky.Count; i++)
        {
            var row = cholesky[i]!.AsArray();
            cholesky[i] = new JsonArray(row.Select((_, j) => (JsonNode?)JsonValue.Create(j <= i ? 3e38 : 0.0)).ToArray());
        }

        File.WriteAllText(manifestPath, manifest.ToJsonString());
        var run = await CliRun.InProcessAsync("sample", "--count", "3", "--output", _temp["s.png"], "--latents", _temp["s.npy"], "--model", huge, "--device", "cpu", "--quiet");
        Assert.True(run.ExitCode == ExitCodes.SomeInputsSkipped, run.ToString());
        Assert.Contains(": the latent has a non-finite value", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp["s.npy"]));
    }

    [Fact]
    public async Task Outliers_and_arithmetic_keep_non_finite_latents_out_of_scores_and_centroids()
    {
        // An encoder whose first weights are NaN gives NaN latents for every image.
        var nan = CliFixtures.CopyModel(_temp["nan-enc"], folder =>
        {
            var encoder = Path.Combine(folder, "encoder.onnx");
            File.WriteAllBytes(encoder, AeOnnx.Tests.Reliability.OnnxSurgery.FillWithNaN(File.ReadAllBytes(encoder), "encoder.mean.bias"));
        });
        string[] args = ["--model", nan, "--device", "cpu", "--threads", "1", "--quiet"];
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 2);

        var outliers = await CliRun.InProcessAsync(["outliers", d, "--by", "mahalanobis", "--output", _temp["o.csv"], .. args]);
        Assert.Equal(ExitCodes.SomeInputsSkipped, outliers.ExitCode);
        Assert.All(File.ReadAllLines(_temp["o.csv"]).Skip(1), line => Assert.StartsWith(",", line, StringComparison.Ordinal)); // no rank: skipped
        Assert.Equal(3, File.ReadAllLines(_temp["o.csv"]).Length);

        var arithmetic = await CliRun.InProcessAsync(["arithmetic", Repo.SampleFiles[0], "--from-folder", d, "--to-folder", Repo.Samples, "--output", _temp["a.png"], .. args]);
        Assert.True(arithmetic.ExitCode == ExitCodes.Usage, arithmetic.ToString());
        Assert.Contains("has no readable images to take a centroid of", arithmetic.Error, StringComparison.Ordinal);
        Assert.Contains("non-finite", arithmetic.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp["a.png"]));
    }

    public static TheoryData<string, byte[], string> HostileNpyFiles() => new()
    {
        { "negative dimension", NpyBytes("<f4", "(-1, 16)", new byte[64]), "dimension '-1' is not a non-negative 64-bit integer" },
        { "Python 2 long", NpyBytes("<f4", "(3L, 16L)", new byte[192]), "'3L' is not a non-negative 64-bit integer" },
        { "10^30 rows", NpyBytes("<f4", "(1000000000000000000000000000000, 16)", new byte[64]), "is not a non-negative 64-bit integer" },
        { "2^60+1 rows", NpyBytes("<f4", "(1152921504606846977, 16)", new byte[64]), "need more than the 64 bytes" },
        { "v2 header of 0x7FFFFFF0 bytes", V2Header(0x7FFFFFF0), "the header claims 2147483632 bytes" },
        { "no header at all", [0x93, (byte)'N', (byte)'U'], "ends inside its header" },
        { "zero columns", NpyBytes("<f4", "(3, 0)", []), "a latent of 0 values" },
        { "int64", NpyBytes("<i8", "(1, 16)", new byte[128]), "unsupported dtype" },

        // Issue 19: NumPy's literal_eval takes the last 'shape' (2, 16); the regex reader took the first (1, 16).
        { "a repeated shape key", NpyBytes("<f4", "(1, 16), 'shape': (2, 16)", new byte[128]), "the key 'shape' appears twice" },
    };

    [Theory]
    [MemberData(nameof(HostileNpyFiles))]
    public async Task Hostile_npy_headers_are_a_usage_error_with_the_reason_and_nothing_is_written(string what, byte[] bytes, string reason)
    {
        var npy = _temp.Write(what.Replace(' ', '-') + ".npy", bytes);
        var run = await Run("decode", npy, "--output", _temp["out"]);
        Assert.True(run.ExitCode == ExitCodes.Usage, what + ": " + run);
        Assert.Contains(reason, run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
        Assert.False(Directory.Exists(_temp["out"]) && Directory.EnumerateFiles(_temp["out"]).Any(), "nothing written");
    }

    [Fact]
    public async Task A_damaged_journal_is_refused_with_advice_to_run_without_resume()
    {
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 6);
        var npy = _temp["z.npy"];
        string[] args = ["encode", d, "--output", npy, "--resume", .. CliFixtures.ModelArgs];
        Assert.Equal(ExitCodes.Interrupted, (await CliRun.InProcessAsync(4, args)).ExitCode);
        var journal = new LatentOutputPaths(npy).Journal;
        var lines = File.ReadAllText(journal).Split('\n');

        foreach (var damage in new[] { "x,00001.png,ok,", "1,00001.png,bogus,", "7,00001.png,ok,", "1,00001.png,ok,,extra" })
        {
            var damaged = (string[])lines.Clone();
            damaged[2] = damage.Replace("00001.png", d + "/00001.png", StringComparison.Ordinal);
            File.WriteAllText(journal, string.Join('\n', damaged));
            var run = await CliRun.InProcessAsync(args);
            Assert.True(run.ExitCode == ExitCodes.Usage, damage + ": " + run);
            Assert.Contains("is damaged", run.Error, StringComparison.Ordinal);
            Assert.Contains("without --resume", run.Error, StringComparison.Ordinal);
            AssertNoStackTrace(run);
        }

        // A torn last record (an append cut short) is not damage: that input is done again.
        File.WriteAllText(journal, string.Join('\n', lines[..^1]) + "\n4,\"" + d + "/0000");
        var torn = await CliRun.InProcessAsync(args);
        Assert.True(torn.ExitCode == ExitCodes.Success, torn.ToString());
        Assert.Equal(6, CliFixtures.ReadIndex(_temp["z.index.csv"]).Count);
    }

    [Fact]
    public async Task A_decoder_that_gives_the_wrong_size_only_when_run_is_a_clear_job_error_with_nothing_under_a_final_name()
    {
        // Declared [N, 1, H, W] with symbolic H, W, so loading accepts it; running gives 32x32 instead of 28x28.
        var bad = CliFixtures.CopyModel(_temp["dyn"], folder =>
            File.WriteAllBytes(Path.Combine(folder, "decoder.onnx"), DynamicSizeDecoder(16, 32)));
        var run = await CliRun.InProcessAsync("decode", "--latent", string.Join(',', Enumerable.Repeat("0", 16)), "--output", _temp["out"], "--model", bad, "--device", "cpu", "--quiet");
        if (run.Error.Contains("cannot use model", StringComparison.Ordinal))
        {
            Assert.Equal(ExitCodes.Fatal, run.ExitCode); // refused at load: as good, nothing ran
            return;
        }

        Assert.True(run.ExitCode == ExitCodes.Fatal, run.ToString());
        Assert.Contains("1024 values", run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
        Assert.False(File.Exists(_temp["out/index.csv"]));
        Assert.False(File.Exists(_temp["out/000000.png"]));
    }

    [Fact]
    public async Task A_decoder_that_allocates_a_trillion_elements_when_run_is_a_clear_job_error_in_every_verb()
    {
        var bomb = CliFixtures.CopyModel(_temp["bomb"], folder =>
            File.WriteAllBytes(Path.Combine(folder, "decoder.onnx"), ConstantOfShapeBombDecoder(16)));
        string[] args = ["--model", bomb, "--device", "cpu", "--threads", "1", "--quiet"];
        var d = _temp["d"];
        CliFixtures.WriteGoodImages(d, 2);
        var zeros = string.Join(',', Enumerable.Repeat("0", 16));
        foreach (var verb in new[]
        {
            new[] { "decode", "--latent", zeros, "--output", _temp["dec"] },
            ["sample", "--count", "2", "--output", _temp["s.png"]],
            ["reconstruct", d, "--output", _temp["rec"]],
        })
        {
            var run = await CliRun.InProcessAsync([.. verb, .. args]);
            if (run.Error.Contains("cannot use model", StringComparison.Ordinal))
            {
                Assert.Equal(ExitCodes.Fatal, run.ExitCode); // refused at load: as good, nothing ran
                continue;
            }

            // Either the job stops (exit 1, a message, no stack trace) or every item is reported as skipped.
            Assert.True(run.ExitCode is ExitCodes.Fatal or ExitCodes.SomeInputsSkipped, verb[0] + ": " + run);
            AssertNoStackTrace(run);
            Assert.False(File.Exists(_temp["dec/000000.png"]) || File.Exists(_temp["s.png"]) || Directory.GetFiles(d).Length != 2);
            Assert.False(Directory.Exists(_temp["rec"]) && Directory.GetFiles(_temp["rec"], "*.png").Length > 0, "no reconstruction PNG");
        }
    }

    [Fact]
    public async Task Smaller_cases_empty_cells_empty_batches_stale_pngs_and_interrupt_advice()
    {
        var empty = await Run("decode", "--latent", "0,,0", "--output", _temp["e"]);
        Assert.Equal(ExitCodes.Usage, empty.ExitCode);
        Assert.Contains("value 2 is empty", empty.Error, StringComparison.Ordinal);

        Assert.Empty(_model.DecodeBatch([]));
        Assert.Empty(_model.Sample(0, seed: 1));
        Assert.Empty(_model.EncodeBatch(Array.Empty<string>()));

        var zeros = string.Join(',', Enumerable.Repeat("0", 16));
        Assert.Equal(ExitCodes.Success, (await Run("decode", "--latent", zeros, "--latent", zeros, "--output", _temp["dec"])).ExitCode);
        var again = await CliRun.InProcessAsync("decode", "--latent", zeros, "--output", _temp["dec"], "--model", Repo.Model, "--device", "cpu");
        Assert.Equal(ExitCodes.Success, again.ExitCode);
        Assert.Contains("also holds 1 PNG(s) this run did not write (e.g. 000001.png)", again.Error, StringComparison.Ordinal);

        // Interrupted verbs without --resume do not advise it.
        using var interrupted = new CancellationTokenSource();
        interrupted.Cancel();
        using var error = new StringWriter();
        var code = await Program.RunAsync(["sample", "--output", _temp["s.png"], .. CliFixtures.ModelArgs], new CliConsole(TextWriter.Null, error, false), interrupted.Token);
        Assert.Equal(ExitCodes.Interrupted, code);
        Assert.DoesNotContain("--resume", error.ToString(), StringComparison.Ordinal);
    }

    private static byte[] NpyBytes(string descr, string shape, byte[] data)
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        var padding = (64 - ((10 + dict.Length + 1) % 64)) % 64;
        var header = dict + new string(' ', padding) + "\n";
        var bytes = new byte[10 + header.Length + data.Length];
        NpyFile.MagicBytes.CopyTo(bytes);
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(10));
        data.CopyTo(bytes, 10 + header.Length);
        return bytes;
    }

    private static byte[] V2Header(uint headerLength)
    {
        var bytes = new byte[20];
        NpyFile.MagicBytes.CopyTo(bytes);
        bytes[6] = 2;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), headerLength);
        return bytes;
    }

    /// <summary>latent [N, D] → MatMul → Reshape [-1, 1, S, S], declared as [N, 1, "H", "W"].</summary>
    private static byte[] DynamicSizeDecoder(int dim, int size)
    {
        var pixels = size * size;
        var weights = new byte[dim * pixels * 4];
        var shapeBytes = new byte[4 * 8];
        BinaryPrimitives.WriteInt64LittleEndian(shapeBytes, -1);
        BinaryPrimitives.WriteInt64LittleEndian(shapeBytes.AsSpan(8), 1);
        BinaryPrimitives.WriteInt64LittleEndian(shapeBytes.AsSpan(16), size);
        BinaryPrimitives.WriteInt64LittleEndian(shapeBytes.AsSpan(24), size);
        var graph = new AeOnnx.Tests.Reliability.Proto()
            .Message(1, Node("MatMul", ["latent", "W"], "flat"))
            .Message(1, Node("Reshape", ["flat", "shape"], "image"))
            .Text(2, "dynamic_decoder")
            .Message(5, new AeOnnx.Tests.Reliability.Proto().Varint(1, dim).Varint(1, pixels).Varint(2, 1).Text(8, "W").Bytes(9, weights))
            .Message(5, new AeOnnx.Tests.Reliability.Proto().Varint(1, 4).Varint(2, 7).Text(8, "shape").Bytes(9, shapeBytes))
            .Message(11, ValueInfo("latent", ["N", dim]))
            .Message(12, ValueInfo("image", ["N", 1, "H", "W"]));
        return new AeOnnx.Tests.Reliability.Proto()
            .Varint(1, 8)
            .Text(2, "aeonnx-tests")
            .Message(8, new AeOnnx.Tests.Reliability.Proto().Text(1, string.Empty).Varint(2, 17))
            .Message(7, graph)
            .ToBytes();
    }

    private static AeOnnx.Tests.Reliability.Proto Node(string op, string[] inputs, string output)
    {
        var node = new AeOnnx.Tests.Reliability.Proto();
        foreach (var input in inputs)
        {
            node.Text(1, input);
        }

        return node.Text(2, output).Text(3, op + "_" + output).Text(4, op);
    }

    private static AeOnnx.Tests.Reliability.Proto ValueInfo(string name, object[] dims)
    {
        var shape = new AeOnnx.Tests.Reliability.Proto();
        foreach (var d in dims)
        {
            shape.Message(1, d is string symbol ? new AeOnnx.Tests.Reliability.Proto().Text(2, symbol) : new AeOnnx.Tests.Reliability.Proto().Varint(1, (int)d));
        }

        var type = new AeOnnx.Tests.Reliability.Proto().Varint(1, 1).Message(2, shape);
        return new AeOnnx.Tests.Reliability.Proto().Text(1, name).Message(2, new AeOnnx.Tests.Reliability.Proto().Message(1, type));
    }

    /// <summary>
    /// A decoder that loads fine and fails when run: ConstantOfShape of [N·10^6, 10^12] zeros (shape
    /// computed from the input, so nothing folds it at load), summed into the real output.
    /// </summary>
    private static byte[] ConstantOfShapeBombDecoder(int dim)
    {
        const int pixels = 28 * 28;
        var weights = new byte[dim * pixels * 4];
        var factor = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(factor, 1_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(factor.AsSpan(8), 1_000_000_000_000 / dim);
        var shapeBytes = new byte[32];
        BinaryPrimitives.WriteInt64LittleEndian(shapeBytes, -1);
        BinaryPrimitives.WriteInt64LittleEndian(shapeBytes.AsSpan(8), 1);
        BinaryPrimitives.WriteInt64LittleEndian(shapeBytes.AsSpan(16), 28);
        BinaryPrimitives.WriteInt64LittleEndian(shapeBytes.AsSpan(24), 28);
        var graph = new AeOnnx.Tests.Reliability.Proto()
            .Message(1, Node("MatMul", ["latent", "W"], "flat"))
            .Message(1, Node("Reshape", ["flat", "shape"], "decoded"))
            .Message(1, Node("Shape", ["latent"], "latent_shape"))
            .Message(1, Node("Mul", ["latent_shape", "factor"], "big_shape"))
            .Message(1, Node("ConstantOfShape", ["big_shape"], "big"))
            .Message(1, Node("ReduceSum", ["big"], "total"))
            .Message(1, Node("Add", ["decoded", "total"], "image"))
            .Text(2, "bomb_decoder")
            .Message(5, new AeOnnx.Tests.Reliability.Proto().Varint(1, dim).Varint(1, pixels).Varint(2, 1).Text(8, "W").Bytes(9, weights))
            .Message(5, new AeOnnx.Tests.Reliability.Proto().Varint(1, 4).Varint(2, 7).Text(8, "shape").Bytes(9, shapeBytes))
            .Message(5, new AeOnnx.Tests.Reliability.Proto().Varint(1, 2).Varint(2, 7).Text(8, "factor").Bytes(9, factor))
            .Message(11, ValueInfo("latent", ["N", dim]))
            .Message(12, ValueInfo("image", ["N", 1, 28, 28]));
        return new AeOnnx.Tests.Reliability.Proto()
            .Varint(1, 8)
            .Text(2, "aeonnx-tests")
            .Message(8, new AeOnnx.Tests.Reliability.Proto().Text(1, string.Empty).Varint(2, 17))
            .Message(7, graph)
            .ToBytes();
    }
}
