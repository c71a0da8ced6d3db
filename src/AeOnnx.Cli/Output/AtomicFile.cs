namespace AeOnnx.Cli.Output;

/// <summary>
/// Writes a file under a temporary name in the same folder, then renames it over the final name, so a
/// reader (or an interrupted run) never sees a partial file under the final name.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, TempPrefix(Path.GetFileName(full)) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            writer.Write(text);
        });

    /// <summary>
    /// Deletes temporary files that a killed run left for any of <paramref name="names"/> in
    /// <paramref name="folder"/> (".NAME.xxxxxxxx.tmp"); called before a job rewrites those names.
    /// </summary>
    public static void DeleteStaleTemporaries(string folder, IEnumerable<string> names)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        var wanted = new HashSet<string>(names.Select(TempPrefix), StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            string name = Path.GetFileName(file);
            if (name.Length > 14 && name[^13] == '.' && wanted.Contains(name[..^13]))
            {
                TryDelete(file);
            }
        }
    }

    /// <summary>
    /// A short sibling name for a file the job derives from <paramref name="path"/> (journal, part, lock):
    /// the path plus <paramref name="suffix"/> when that name fits a file system's 255 bytes, else a name
    /// made from a hash of it, so a long output name never fails on a helper file.
    /// </summary>
    public static string Sibling(string path, string suffix)
    {
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full) + suffix;
        return System.Text.Encoding.UTF8.GetByteCount(name) <= MaxNameBytes
            ? full + suffix
            : Path.Combine(Path.GetDirectoryName(full)!, "." + Hash(Path.GetFileName(full)) + suffix);
    }

    private const int MaxNameBytes = 255;

    // ".NAME" while ".NAME.xxxxxxxx.tmp" fits in 255 bytes; a hash of NAME beyond (a 250-byte name must still work).
    private static string TempPrefix(string name) =>
        System.Text.Encoding.UTF8.GetByteCount(name) + 14 <= MaxNameBytes ? "." + name : ".aeonnx-" + Hash(name);

    private static string Hash(string name) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..16];

    /// <summary>Fails early, with a clear message, when an output cannot be created in its folder.</summary>
    public static void CheckWritable(string path)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        string probe = Path.Combine(folder, ".aeonnx-probe-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Directory.CreateDirectory(folder);
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Fatal($"cannot write output '{path}': {e.Message}", e);
        }
        finally
        {
            TryDelete(probe);
        }

        if (Directory.Exists(full))
        {
            throw CliException.Fatal($"cannot write output '{path}': it is a folder.");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
