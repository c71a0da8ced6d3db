using System.Text;

namespace AeOnnx.Tests.Reliability;

/// <summary>
/// A minimal protobuf reader/writer (enough for ONNX ModelProto surgery in tests): a message is a
/// list of fields kept in order; unknown content survives a parse/serialize round trip byte for byte.
/// </summary>
internal sealed class Proto
{
    public List<ProtoField> Fields { get; } = [];

    public static Proto Parse(ReadOnlySpan<byte> bytes)
    {
        var message = new Proto();
        var i = 0;
        while (i < bytes.Length)
        {
            var key = ReadVarint(bytes, ref i);
            var number = (int)(key >> 3);
            var wire = (int)(key & 7);
            switch (wire)
            {
                case 0:
                    message.Fields.Add(new ProtoField(number, wire) { Varint = ReadVarint(bytes, ref i) });
                    break;
                case 1:
                    message.Fields.Add(new ProtoField(number, wire) { Bytes = bytes.Slice(i, 8).ToArray() });
                    i += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(bytes, ref i);
                    message.Fields.Add(new ProtoField(number, wire) { Bytes = bytes.Slice(i, length).ToArray() });
                    i += length;
                    break;
                case 5:
                    message.Fields.Add(new ProtoField(number, wire) { Bytes = bytes.Slice(i, 4).ToArray() });
                    i += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {wire} at {i}");
            }
        }

        return message;
    }

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        foreach (var field in Fields)
        {
            WriteVarint(stream, ((ulong)field.Number << 3) | (uint)field.Wire);
            switch (field.Wire)
            {
                case 0:
                    WriteVarint(stream, field.Varint);
                    break;
                case 2:
                    WriteVarint(stream, (ulong)field.Bytes.Length);
                    stream.Write(field.Bytes);
                    break;
                default:
                    stream.Write(field.Bytes);
                    break;
            }
        }

        return stream.ToArray();
    }

    public IEnumerable<ProtoField> All(int number) => Fields.Where(f => f.Number == number);

    public ProtoField? First(int number) => Fields.FirstOrDefault(f => f.Number == number);

    public string? String(int number) => First(number) is { } f ? Encoding.UTF8.GetString(f.Bytes) : null;

    public Proto Varint(int number, long value)
    {
        Fields.Add(new ProtoField(number, 0) { Varint = (ulong)value });
        return this;
    }

    public Proto Bytes(int number, byte[] value)
    {
        Fields.Add(new ProtoField(number, 2) { Bytes = value });
        return this;
    }

    public Proto Text(int number, string value) => Bytes(number, Encoding.UTF8.GetBytes(value));

    public Proto Message(int number, Proto value) => Bytes(number, value.ToBytes());

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }
}

/// <summary>One protobuf field: varint value or the raw bytes of a length-delimited/fixed field.</summary>
internal sealed class ProtoField(int number, int wire)
{
    public int Number { get; } = number;

    public int Wire { get; } = wire;

    public ulong Varint { get; set; }

    public byte[] Bytes { get; set; } = [];
}
