namespace AeOnnx.Imaging;

/// <summary>
/// One image format AeOnnx decodes, as the registry (<see cref="ImageFormats"/>, docs/image-formats.json)
/// describes it: its name, the file extensions a folder listing takes, its media types, and the byte
/// signatures that recognize it (files are recognized by content, never by name).
/// </summary>
public sealed class ImageFormat
{
    private readonly Signature[][] _signatures;

    internal ImageFormat(string name, IReadOnlyList<string> extensions, IReadOnlyList<string> mediaTypes, Signature[][] signatures)
    {
        Name = name;
        Extensions = extensions;
        MediaTypes = mediaTypes;
        _signatures = signatures;
    }

    /// <summary>The format's name as messages write it, e.g. <c>PNG</c>, <c>WebP</c>.</summary>
    public string Name { get; }

    /// <summary>File extensions, lowercase with the dot (e.g. <c>.jpg</c>, <c>.jpeg</c>).</summary>
    public IReadOnlyList<string> Extensions { get; }

    /// <summary>Media types (e.g. <c>image/jpeg</c>).</summary>
    public IReadOnlyList<string> MediaTypes { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>True when <paramref name="bytes"/> start like this format (every part of one of its signatures matches).</summary>
    internal bool Matches(ReadOnlySpan<byte> bytes)
    {
        foreach (var signature in _signatures)
        {
            var all = true;
            foreach (var part in signature)
            {
                if (bytes.Length < part.Offset + part.Bytes.Length || !bytes.Slice(part.Offset, part.Bytes.Length).SequenceEqual(part.Bytes))
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Bytes expected at an offset from the start of the file.</summary>
    internal sealed record Signature(int Offset, byte[] Bytes);
}
