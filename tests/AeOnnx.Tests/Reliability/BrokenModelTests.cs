using System.Runtime.InteropServices;
using AeOnnx.Tests.Support;
using Xunit.Abstractions;

namespace AeOnnx.Tests.Reliability;

/// <summary>
/// Broken model folders the core's ModelLoaderTests do not already cover: each is refused at load
/// with one <see cref="ModelLoadException"/> whose message names the file and the problem; never
/// another exception, a hang or a native fault. (Covered there: missing decoder, truncated/garbage/
/// text graph, empty graph, hash mismatch, unknown format, malformed JSON, bad paths, swapped graphs.)
/// </summary>
public sealed class BrokenModelTests(ITestOutputHelper output)
{
    private const string Model = TestModels.FashionAe;

    [Fact]
    public void Missing_encoder_is_refused_naming_it()
    {
        using var temp = TestModels.Copy(Model);
        File.Delete(temp.File("encoder.onnx"));
        var error = Load(temp);
        Assert.Equal(temp.File("encoder.onnx"), error.File);
        Assert.Equal("encoder.file", error.Field);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_onnx_of_the_wrong_model_is_refused_by_its_input_shape()
    {
        // An RGB encoder (3×28×28 → 16) dropped into the gray model's folder, hash fixed up.
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("encoder.onnx"), OnnxSurgery.LinearEncoder(3, 28, 28, 16));
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        Assert.Equal(temp.File("encoder.onnx"), error.File);
        Assert.Contains("encoder.input", error.Message, StringComparison.Ordinal);
        Assert.Contains("[N, 1, 28, 28]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[N, 3, 28, 28]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hand_made_linear_pair_loads_so_the_refusals_below_are_about_the_damage()
    {
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("encoder.onnx"), OnnxSurgery.LinearEncoder(1, 28, 28, 16));
        File.WriteAllBytes(temp.File("decoder.onnx"), OnnxSurgery.LinearDecoder(1, 28, 28, 16));
        TestModels.Rehash(temp.Path);
        using var model = Autoencoder.Load(temp.Path, TestModels.CpuOptions());
        var latent = model.EncodeTensor(new float[784]);
        Assert.Equal(16, latent.Length);
        Assert.All(model.DecodeTensor(latent), v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Encoder_decoder_latent_mismatch_is_refused_naming_both_sizes()
    {
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("decoder.onnx"), OnnxSurgery.LinearDecoder(1, 28, 28, 8));
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        Assert.Equal(temp.File("decoder.onnx"), error.File);
        Assert.Equal("decoder.input", error.Field);
        Assert.Contains("latent size 16 (the encoder's output)", error.Message, StringComparison.Ordinal);
        Assert.Contains("latent size 8", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("../outside.bin")]
    public void External_data_is_refused_never_read(string location)
    {
        // The shipped encoder with one initializer moved to "external data" at a hostile path.
        // External data resolves in the model folder only; ORT refuses absolute and escaping paths.
        using var temp = TestModels.Copy(Model);
        var bytes = File.ReadAllBytes(temp.File("encoder.onnx"));
        File.WriteAllBytes(temp.File("encoder.onnx"), OnnxSurgery.MakeExternal(bytes, "encoder.mean.bias", location));
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        output.WriteLine(error.Message);
        Assert.Equal(temp.File("encoder.onnx"), error.File);
        Assert.Contains("ONNX Runtime refused it", error.Message, StringComparison.Ordinal);
        Assert.Contains("external", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void External_data_is_never_taken_from_the_working_directory()
    {
        // ORT resolves external data of a graph loaded from bytes against the process's working
        // directory unless told the model folder: a graph naming "x.bin" must not pick up ./x.bin.
        var name = "aeonnx-external-" + Guid.NewGuid().ToString("N")[..8] + ".bin";
        var inWorkingDirectory = Path.Combine(Environment.CurrentDirectory, name);
        File.WriteAllBytes(inWorkingDirectory, new byte[64]);
        try
        {
            using var temp = TestModels.Copy(Model);
            var bytes = File.ReadAllBytes(temp.File("encoder.onnx"));
            File.WriteAllBytes(temp.File("encoder.onnx"), OnnxSurgery.MakeExternal(bytes, "encoder.mean.bias", name));
            TestModels.Rehash(temp.Path);
            var error = Load(temp);
            output.WriteLine(error.Message);
            Assert.Contains("external", error.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            File.Delete(inWorkingDirectory);
        }
    }

    [Fact]
    public void External_data_inside_the_model_folder_is_read_from_there()
    {
        using var temp = TestModels.Copy(Model);
        var bytes = File.ReadAllBytes(temp.File("encoder.onnx"));
        var bias = OnnxSurgery.RawData(bytes, "encoder.mean.bias");
        File.WriteAllBytes(temp.File("weights.bin"), bias);
        File.WriteAllBytes(temp.File("encoder.onnx"), OnnxSurgery.MakeExternal(bytes, "encoder.mean.bias", "weights.bin"));
        TestModels.Rehash(temp.Path);
        using var moved = Autoencoder.Load(temp.Path, TestModels.CpuOptions());
        using var shipped = Autoencoder.Load(TestModels.Folder(Model), TestModels.CpuOptions());
        var image = Path.Combine(TestModels.Folder(Model), "fixtures", "000.png");
        Assert.Equal(shipped.Encode(image), moved.Encode(image));
    }

    [Fact]
    public void Unknown_operator_is_refused()
    {
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("encoder.onnx"), OnnxSurgery.LinearEncoder(1, 28, 28, 16, opType: "NoSuchOperator"));
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        output.WriteLine(error.Message);
        Assert.Contains("NoSuchOperator", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_input_is_refused_naming_the_element_type()
    {
        using var temp = TestModels.Copy(Model);
        File.WriteAllBytes(temp.File("encoder.onnx"), IntegerInput());
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        output.WriteLine(error.Message);
        Assert.Contains("int64", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(-1)]
    [InlineData(-100)]
    public void Graph_truncated_at_several_points_is_refused(int cut)
    {
        using var temp = TestModels.Copy(Model);
        var bytes = File.ReadAllBytes(temp.File("decoder.onnx"));
        File.WriteAllBytes(temp.File("decoder.onnx"), bytes[..(cut > 0 ? cut : bytes.Length + cut)]);
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        Assert.Equal(temp.File("decoder.onnx"), error.File);
        Assert.Contains("expected a valid ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_graph_is_refused()
    {
        using var temp = TestModels.Copy(Model);
        var noise = new byte[65536];
        new Random(42).NextBytes(noise);
        File.WriteAllBytes(temp.File("encoder.onnx"), noise);
        TestModels.Rehash(temp.Path);
        var error = Load(temp);
        Assert.Contains("expected a valid ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Graph_that_is_a_directory_is_refused()
    {
        using var temp = TestModels.Copy(Model);
        File.Delete(temp.File("encoder.onnx"));
        Directory.CreateDirectory(temp.File("encoder.onnx"));
        var error = Load(temp);
        output.WriteLine(error.Message);
        Assert.Equal(temp.File("encoder.onnx"), error.File);
    }

    [Fact]
    public async Task Graph_that_is_a_fifo_is_refused_without_hanging()
    {
        using var temp = TestModels.Copy(Model);
        File.Delete(temp.File("encoder.onnx"));
        Assert.Equal(0, mkfifo(temp.File("encoder.onnx"), 0x1b6));
        var load = await Hang.Returned(Task.Run(() => Autoencoder.Load(temp.Path, TestModels.CpuOptions())), "loading a model whose encoder.onnx is a FIFO");
        var error = Assert.IsType<ModelLoadException>(load.Exception?.InnerException);
        output.WriteLine(error.Message);
        Assert.Equal(temp.File("encoder.onnx"), error.File);
    }

    [Fact]
    public void Graph_that_is_a_fifo_with_bytes_waiting_is_refused_without_reading_a_byte()
    {
        using var temp = TestModels.Copy(Model);
        var graph = File.ReadAllBytes(temp.File("encoder.onnx"));
        File.Delete(temp.File("encoder.onnx"));

        // The pipe holds a whole valid graph (up to the pipe's buffer), yet it is not a regular file.
        using var fifo = new FilledFifo(temp.File("encoder.onnx"), graph[..Math.Min(graph.Length, 32 * 1024)]);
        var before = fifo.Waiting;
        var error = Load(temp);
        Assert.Equal(temp.File("encoder.onnx"), error.File);
        Assert.Contains("not a regular file", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, fifo.Waiting);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("\"aeonnx.model/1\"")]
    public void Manifest_that_is_not_an_object_or_empty_is_refused(string text)
    {
        using var temp = TestModels.Copy(Model);
        File.WriteAllText(temp.File("manifest.json"), text);
        var error = Load(temp);
        output.WriteLine(error.Message);
        Assert.Equal(temp.File("manifest.json"), error.File);
    }

    [Fact]
    public void Nan_weights_load_and_yield_non_finite_latents_that_callers_must_check()
    {
        // Weights are not run at load; the CLI reports each image as a failure (see the CLI suite).
        using var temp = TestModels.Copy(Model);
        var bytes = File.ReadAllBytes(temp.File("encoder.onnx"));
        File.WriteAllBytes(temp.File("encoder.onnx"), OnnxSurgery.FillWithNaN(bytes, "encoder.mean.bias"));
        TestModels.Rehash(temp.Path);
        using var model = Autoencoder.Load(temp.Path, TestModels.CpuOptions());
        Assert.All(model.EncodeTensor(new float[784]), v => Assert.True(float.IsNaN(v)));
    }

    internal static byte[] IntegerInput() => OnnxSurgery.LinearEncoder(1, 28, 28, 16, opType: "MatMul", inputType: 7);

    private static ModelLoadException Load(TempFolder temp) =>
        Assert.Throws<ModelLoadException>(() => Autoencoder.Load(temp.Path, TestModels.CpuOptions()));

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
