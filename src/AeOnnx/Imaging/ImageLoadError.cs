namespace AeOnnx.Imaging;

/// <summary>Why an image could not be loaded; carried by <see cref="ImageLoadException"/>.</summary>
public enum ImageLoadError
{
    /// <summary>The file does not exist.</summary>
    NotFound,

    /// <summary>The file exists but could not be read (permissions, I/O error, a directory).</summary>
    Unreadable,

    /// <summary>The content is none of the <see cref="ImageFormats"/> (recognized by signature).</summary>
    UnsupportedFormat,

    /// <summary>The format is recognized but the content is damaged or truncated.</summary>
    Corrupt,

    /// <summary>The file or the image exceeds the configured <see cref="ImageLimits"/>.</summary>
    TooLarge,
}
