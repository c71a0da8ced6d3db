using System.Text;

namespace AeOnnx.Tests.Support;

/// <summary>
/// Writes small ONNX models (protobuf by hand) for tests that need a graph the shipped models do
/// not provide: a decoder with another latent size, a fixed batch dimension, a double input.
/// </summary>
internal static class OnnxBuilder
{
    private const int Float = 1;
    private const int Int64 = 7;

    /// <summary>
    /// A decoder: <c>latent [batch, latentDim]</c> → MatMul → Reshape → Sigmoid → <c>image [batch, c, h, w]</c>.
    /// <paramref name="batch"/> null makes the batch dimension symbolic ("N").
    /// </summary>
    public static byte[] Decoder(int latentDim, int channels, int height, int width, long? batch = null, int inputElementType = Float)
    {
        var pixels = channels * height * width;
        var weights = new float[latentDim * pixels];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = Weight(i);
        }

        return Model(graph =>
        {
            var matMulInput = "latent";
            if (inputElementType != Float)
            {
                matMulInput = "latent_float";
                graph.Message(1, n =>
                {
                    Node(n, "Cast", ["latent"], [matMulInput]);
                    n.Message(5, a =>
                    {
                        a.String(1, "to");
                        a.Varint(3, Float);
                        a.Varint(20, 2); // AttributeProto.INT
                    });
                });
            }

            graph.Message(1, n => Node(n, "MatMul", [matMulInput, "W"], ["flat"]));
            graph.Message(1, n => Node(n, "Reshape", ["flat", "shape"], ["logits"]));
            graph.Message(1, n => Node(n, "Sigmoid", ["logits"], ["image"]));
            graph.String(2, "decoder");
            graph.Message(5, t => FloatTensor(t, "W", [latentDim, pixels], weights));
            graph.Message(5, t => Int64Tensor(t, "shape", [-1, channels, height, width]));
            graph.Message(11, v => ValueInfo(v, "latent", inputElementType, [batch, latentDim]));
            graph.Message(12, v => ValueInfo(v, "image", Float, [batch, channels, height, width]));
        });
    }

    /// <summary>The deterministic weight pattern both synthetic graphs use; index i of the flattened matrix.</summary>
    public static float Weight(int i) => ((i % 13) - 6) * 0.01f;

    /// <summary>
    /// An encoder: <c>image [N, c, h, w]</c> → Flatten → MatMul with W [c·h·w, latentDim] → <c>latent [N, latentDim]</c>,
    /// W[k, j] = <see cref="Weight"/>(k·latentDim + j).
    /// </summary>
    public static byte[] Encoder(int channels, int height, int width, int latentDim)
    {
        var pixels = channels * height * width;
        var weights = new float[pixels * latentDim];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = Weight(i);
        }

        return Model(graph =>
        {
            graph.Message(1, n => Node(n, "Flatten", ["image"], ["flat"]));
            graph.Message(1, n => Node(n, "MatMul", ["flat", "W"], ["latent"]));
            graph.String(2, "encoder");
            graph.Message(5, t => FloatTensor(t, "W", [pixels, latentDim], weights));
            graph.Message(11, v => ValueInfo(v, "image", Float, [null, channels, height, width]));
            graph.Message(12, v => ValueInfo(v, "latent", Float, [null, latentDim]));
        });
    }

    private static byte[] Model(Action<ProtoWriter> graph)
    {
        var model = new ProtoWriter();
        model.Varint(1, 8); // ir_version
        model.String(2, "aeonnx-tests");
        model.Message(7, graph);
        model.Message(8, o =>
        {
            o.String(1, string.Empty);
            o.Varint(2, 17);
        });
        return model.ToArray();
    }

    private static void Node(ProtoWriter n, string op, string[] inputs, string[] outputs)
    {
        foreach (var input in inputs)
        {
            n.String(1, input);
        }

        foreach (var output in outputs)
        {
            n.String(2, output);
        }

        n.String(3, op + "_0");
        n.String(4, op);
    }

    private static void FloatTensor(ProtoWriter t, string name, long[] dims, float[] values)
    {
        foreach (var d in dims)
        {
            t.Varint(1, d);
        }

        t.Varint(2, Float);
        t.String(8, name);
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        t.Bytes(9, raw);
    }

    private static void Int64Tensor(ProtoWriter t, string name, long[] values)
    {
        t.Varint(1, values.Length);
        t.Varint(2, Int64);
        t.String(8, name);
        var raw = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        t.Bytes(9, raw);
    }

    private static void ValueInfo(ProtoWriter v, string name, int elementType, long?[] dims)
    {
        v.String(1, name);
        v.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Varint(1, elementType);
            tensor.Message(2, shape =>
            {
                foreach (var d in dims)
                {
                    shape.Message(1, dim =>
                    {
                        if (d is { } value)
                        {
                            dim.Varint(1, value);
                        }
                        else
                        {
                            dim.String(2, "N");
                        }
                    });
                }
            });
        }));
    }

    /// <summary>Appends metadata_props entries (ModelProto field 14) to a graph that has none.</summary>
    public static byte[] WithMetadata(byte[] model, IReadOnlyDictionary<string, string> metadata)
    {
        var w = new ProtoWriter();
        foreach (var (key, value) in metadata)
        {
            w.Message(14, entry =>
            {
                entry.String(1, key);
                entry.String(2, value);
            });
        }

        return [.. model, .. w.ToArray()];
    }

    private sealed class ProtoWriter
    {
        private readonly MemoryStream _stream = new();

        public void Varint(int field, long value)
        {
            Tag(field, 0);
            WriteVarint((ulong)value);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            WriteVarint((ulong)value.Length);
            _stream.Write(value);
        }

        public void Message(int field, Action<ProtoWriter> write)
        {
            var inner = new ProtoWriter();
            write(inner);
            Bytes(field, inner.ToArray());
        }

        public byte[] ToArray() => _stream.ToArray();

        private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

        private void WriteVarint(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            _stream.WriteByte((byte)value);
        }
    }
}
