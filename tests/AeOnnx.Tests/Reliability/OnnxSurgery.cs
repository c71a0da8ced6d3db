using System.Globalization;

namespace AeOnnx.Tests.Reliability;

/// <summary>
/// Hand-made ONNX graphs and edits of shipped ones, written as protobuf by <see cref="Proto"/>
/// (field numbers from onnx.proto: ModelProto.graph 7, GraphProto.initializer 5, TensorProto.raw_data 9, ...).
/// </summary>
internal static class OnnxSurgery
{
    public const int FloatType = 1;
    public const int Int64Type = 7;

    /// <summary>Edits the initializer named <paramref name="name"/> of a serialized model.</summary>
    public static byte[] EditInitializer(byte[] model, string name, Action<Proto> edit)
    {
        var root = Proto.Parse(model);
        var graphField = root.First(7) ?? throw new InvalidDataException("no graph");
        var graph = Proto.Parse(graphField.Bytes);
        var found = false;
        foreach (var field in graph.All(5))
        {
            var tensor = Proto.Parse(field.Bytes);
            if (tensor.String(8) == name)
            {
                edit(tensor);
                field.Bytes = tensor.ToBytes();
                found = true;
            }
        }

        if (!found)
        {
            throw new InvalidDataException($"no initializer {name}");
        }

        graphField.Bytes = graph.ToBytes();
        return root.ToBytes();
    }

    /// <summary>Names of the graph's initializers, in order.</summary>
    public static List<string> Initializers(byte[] model)
    {
        var graph = Proto.Parse(Proto.Parse(model).First(7)!.Bytes);
        return graph.All(5).Select(f => Proto.Parse(f.Bytes).String(8)!).ToList();
    }

    /// <summary>The raw_data bytes of an initializer.</summary>
    public static byte[] RawData(byte[] model, string name)
    {
        byte[]? raw = null;
        EditInitializer(model, name, tensor => raw = tensor.First(9)!.Bytes);
        return raw!;
    }

    /// <summary>Overwrites a float initializer's raw data with NaN (same length, so offsets do not move).</summary>
    public static byte[] FillWithNaN(byte[] model, string name) => EditInitializer(model, name, tensor =>
    {
        var raw = tensor.First(9) ?? throw new InvalidDataException("no raw_data");
        var values = new float[raw.Bytes.Length / 4];
        Array.Fill(values, float.NaN);
        raw.Bytes = ToBytes(values);
    });

    /// <summary>Multiplies a float initializer by <paramref name="factor"/> (a differently trained model of the same shape).</summary>
    public static byte[] Scale(byte[] model, string name, float factor) => EditInitializer(model, name, tensor =>
    {
        var raw = tensor.First(9)!;
        var values = new float[raw.Bytes.Length / 4];
        Buffer.BlockCopy(raw.Bytes, 0, values, 0, raw.Bytes.Length);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= factor;
        }

        raw.Bytes = ToBytes(values);
    });

    /// <summary>Turns an initializer into external data at <paramref name="location"/> (data_location = EXTERNAL).</summary>
    public static byte[] MakeExternal(byte[] model, string name, string location) => EditInitializer(model, name, tensor =>
    {
        var raw = tensor.First(9)!;
        var length = raw.Bytes.Length;
        tensor.Fields.Remove(raw);
        tensor.Message(13, new Proto().Text(1, "location").Text(2, location));
        tensor.Message(13, new Proto().Text(1, "offset").Text(2, "0"));
        tensor.Message(13, new Proto().Text(1, "length").Text(2, length.ToString(CultureInfo.InvariantCulture)));
        tensor.Varint(14, 1);
    });

    /// <summary>A linear encoder: image [N,C,H,W] → Flatten → MatMul → latent [N,D].</summary>
    public static byte[] LinearEncoder(int channels, int height, int width, int dim, int seed = 1, string opType = "MatMul", int inputType = FloatType)
    {
        var pixels = channels * height * width;
        var graph = new Proto()
            .Message(1, Node("Flatten", ["image"], ["flat"]))
            .Message(1, Node(opType, ["flat", "W"], ["latent"]))
            .Text(2, "linear_encoder")
            .Message(5, FloatTensor("W", [pixels, dim], Weights(pixels * dim, seed, 1f / pixels)))
            .Message(11, ValueInfo("image", inputType, ["N", channels, height, width]))
            .Message(12, ValueInfo("latent", FloatType, ["N", dim]));
        return Model(graph);
    }

    /// <summary>A linear decoder: latent [N,D] → MatMul → Sigmoid → Reshape → image [N,C,H,W].</summary>
    public static byte[] LinearDecoder(int channels, int height, int width, int dim, int seed = 2)
    {
        var pixels = channels * height * width;
        var graph = new Proto()
            .Message(1, Node("MatMul", ["latent", "W"], ["logits"]))
            .Message(1, Node("Sigmoid", ["logits"], ["flat"]))
            .Message(1, Node("Reshape", ["flat", "shape"], ["image"]))
            .Text(2, "linear_decoder")
            .Message(5, FloatTensor("W", [dim, pixels], Weights(dim * pixels, seed, 1f)))
            .Message(5, Int64Tensor("shape", [-1, channels, height, width]))
            .Message(11, ValueInfo("latent", FloatType, ["N", dim]))
            .Message(12, ValueInfo("image", FloatType, ["N", channels, height, width]));
        return Model(graph);
    }

    private static byte[] Model(Proto graph) => new Proto()
        .Varint(1, 8) // ir_version
        .Text(2, "aeonnx-tests")
        .Message(8, new Proto().Text(1, string.Empty).Varint(2, 17)) // opset_import
        .Message(7, graph)
        .ToBytes();

    private static Proto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new Proto();
        foreach (var input in inputs)
        {
            node.Text(1, input);
        }

        foreach (var output in outputs)
        {
            node.Text(2, output);
        }

        return node.Text(3, op + "_" + outputs[0]).Text(4, op);
    }

    private static Proto ValueInfo(string name, int elementType, object[] dims)
    {
        var shape = new Proto();
        foreach (var dim in dims)
        {
            shape.Message(1, dim is string symbol ? new Proto().Text(2, symbol) : new Proto().Varint(1, (int)dim));
        }

        var tensorType = new Proto().Varint(1, elementType).Message(2, shape);
        return new Proto().Text(1, name).Message(2, new Proto().Message(1, tensorType));
    }

    private static Proto FloatTensor(string name, long[] dims, float[] values)
    {
        var tensor = new Proto();
        foreach (var d in dims)
        {
            tensor.Varint(1, d);
        }

        return tensor.Varint(2, FloatType).Text(8, name).Bytes(9, ToBytes(values));
    }

    private static Proto Int64Tensor(string name, long[] values)
    {
        var bytes = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new Proto().Varint(1, values.Length).Varint(2, Int64Type).Text(8, name).Bytes(9, bytes);
    }

    private static float[] Weights(int count, int seed, float scale)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale).ToArray();
    }

    private static byte[] ToBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }
}
