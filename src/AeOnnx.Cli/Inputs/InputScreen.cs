namespace AeOnnx.Cli.Inputs;

/// <summary>
/// Checks an input before it is handed to the image decoder. A FIFO, socket or device would block or never
/// end when opened; they, and empty files, report a size of 0, so a 0-byte input is skipped up front.
/// </summary>
internal static class InputScreen
{
    /// <summary>Why the input is skipped without being opened, or null to let the decoder try it.</summary>
    public static string? Reason(InputItem item)
    {
        var info = new FileInfo(item.FullPath);
        if (!info.Exists)
        {
            return null; // the decoder reports "not found" in its own words
        }

        // Worded as the core's ImageLoadError.Unreadable for the same case, so the index reads alike
        // whichever layer caught it.
        return info.Length == 0 ? "unreadable: the file is empty (0 bytes) or not a regular file (a FIFO or device)." : null;
    }
}
