using System.Text.Json;

namespace AeOnnx.Imaging;

/// <summary>
/// The registry of image formats AeOnnx decodes (PNG, JPEG, BMP, GIF, WebP): one list, read from
/// docs/image-formats.json (embedded into this assembly), that the decoder, the CLI's folder listing,
/// the service's messages and Python's dataset listing all read, so a format is added in one place.
/// </summary>
public static class ImageFormats
{
    private const string ResourceName = "AeOnnx.image-formats.json";

    static ImageFormats()
    {
        All = Read();
        Extensions = [.. All.SelectMany(f => f.Extensions)];
        MediaTypes = [.. All.SelectMany(f => f.MediaTypes)];
        var names = All.Select(f => f.Name).ToArray();
        Names = names.Length == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
        ExtensionGlobs = string.Join(' ', Extensions.Select(e => "*" + e));
        Jpeg = All.Single(f => f.Name == "JPEG");
    }

    /// <summary>Every format, in the registry's order.</summary>
    public static IReadOnlyList<ImageFormat> All { get; }

    /// <summary>Every file extension of every format, lowercase with the dot, in the registry's order.</summary>
    public static IReadOnlyList<string> Extensions { get; }

    /// <summary>Every media type of every format (e.g. <c>image/png</c>).</summary>
    public static IReadOnlyList<string> MediaTypes { get; }

    /// <summary>The formats' names as messages list them: <c>PNG, JPEG, BMP, GIF or WebP</c>.</summary>
    public static string Names { get; }

    /// <summary>The default file patterns of a folder listing: <c>*.png *.jpg *.jpeg *.bmp *.gif *.webp</c>.</summary>
    public static string ExtensionGlobs { get; }

    /// <summary>JPEG: the format whose decoding has its own rules (scan limit, DCT-domain downscaling).</summary>
    internal static ImageFormat Jpeg { get; }

    /// <summary>True when the file name ends in one of <see cref="Extensions"/> (any case).</summary>
    /// <param name="path">A file name or path.</param>
    /// <returns>Whether a folder listing takes the file.</returns>
    public static bool HasImageExtension(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path.AsSpan());
        foreach (var known in Extensions)
        {
            if (extension.Equals(known, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Recognizes a format by the signature at the start of the encoded bytes.</summary>
    /// <param name="bytes">The start of the file (12 bytes recognize every format).</param>
    /// <returns>The format, or null when the bytes are none of <see cref="All"/>.</returns>
    public static ImageFormat? Detect(ReadOnlySpan<byte> bytes)
    {
        foreach (var format in All)
        {
            if (format.Matches(bytes))
            {
                return format;
            }
        }

        return null;
    }

    private static ImageFormat[] Read()
    {
        using var stream = typeof(ImageFormats).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from {typeof(ImageFormats).Assembly.GetName().Name}.");
        using var document = JsonDocument.Parse(stream);
        return [.. document.RootElement.GetProperty("formats").EnumerateArray().Select(format => new ImageFormat(
            format.GetProperty("name").GetString()!,
            [.. format.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()!)],
            [.. format.GetProperty("media_types").EnumerateArray().Select(e => e.GetString()!)],
            [.. format.GetProperty("signatures").EnumerateArray().Select(signature => signature.EnumerateArray()
                .Select(part => new ImageFormat.Signature(part.GetProperty("offset").GetInt32(), Convert.FromHexString(part.GetProperty("hex").GetString()!)))
                .ToArray())]))];
    }
}
