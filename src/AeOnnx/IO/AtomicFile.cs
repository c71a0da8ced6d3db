using System.Security.Cryptography;
using System.Text;

namespace AeOnnx.IO;

/// <summary>
/// The one way AeOnnx writes a file: under a temporary name in the same folder (<c>.NAME.xxxxxxxx.tmp</c>),
/// flushed to disk, then renamed over the final name, so a reader (or an interrupted run) never sees a
/// partial file under the final name. The CLI's outputs, saved ML.NET pipelines, unpacked embedded
/// models and the optimized-graph cache all write through it.
/// </summary>
public static class AtomicFile
{
    private const int MaxNameBytes = 255;

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; creates the folder. On failure the previous file (if any) is untouched and the temporary is removed.</summary>
    /// <param name="path">The final file.</param>
    /// <param name="write">Writes the content to the stream (readable and seekable; not to be disposed).</param>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, TempPrefix(Path.GetFileName(full)) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
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

    /// <summary>Writes bytes atomically (see <see cref="Write(string, Action{Stream})"/>).</summary>
    /// <param name="path">The final file.</param>
    /// <param name="bytes">The content.</param>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) => Write(path, stream => stream.Write(bytes.Span));

    /// <summary>Writes text atomically as UTF-8 without a byte order mark, with <c>\n</c> line ends from <see cref="TextWriter.WriteLine()"/>.</summary>
    /// <param name="path">The final file.</param>
    /// <param name="text">The content.</param>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            writer.Write(text);
        });

    /// <summary>
    /// Deletes temporary files that a killed writer left for any of <paramref name="names"/> in
    /// <paramref name="folder"/> (<c>.NAME.xxxxxxxx.tmp</c>); call before rewriting those names.
    /// </summary>
    /// <param name="folder">The folder of the files.</param>
    /// <param name="names">Plain file names.</param>
    public static void DeleteStaleTemporaries(string folder, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(names);
        if (!Directory.Exists(folder))
        {
            return;
        }

        var wanted = new HashSet<string>(names.Select(TempPrefix), StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            var name = Path.GetFileName(file);
            if (name.Length > 14 && name[^13] == '.' && wanted.Contains(name[..^13]))
            {
                TryDelete(file);
            }
        }
    }

    /// <summary>
    /// Deletes temporary files that a killed writer left in <paramref name="folder"/> for the names
    /// <paramref name="owned"/> accepts: for a family of names too large to list (a decode job's
    /// <c>000000.png</c> … of millions of rows). Names so long that their temporary carries a hash
    /// instead are not recognised here; list those with the other overload.
    /// </summary>
    /// <param name="folder">The folder of the files.</param>
    /// <param name="owned">Whether a plain file name is one the caller is about to rewrite.</param>
    public static void DeleteStaleTemporaries(string folder, Func<string, bool> owned)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(owned);
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            var name = Path.GetFileName(file);
            if (name.Length > 14 && name[^13] == '.' && owned(name[1..^13]))
            {
                TryDelete(file);
            }
        }
    }

    /// <summary>
    /// A sibling name for a file derived from <paramref name="path"/> (a journal, a part file, a lock):
    /// the path plus <paramref name="suffix"/> when that name fits a file system's 255 bytes, else a
    /// name made from a hash of it, so a long file name never fails on a helper file.
    /// </summary>
    /// <param name="path">The file the sibling belongs to.</param>
    /// <param name="suffix">The sibling's suffix, e.g. <c>.journal</c>.</param>
    /// <returns>The sibling's full path.</returns>
    public static string Sibling(string path, string suffix)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(suffix);
        var full = Path.GetFullPath(path);
        var name = Path.GetFileName(full) + suffix;
        return Encoding.UTF8.GetByteCount(name) <= MaxNameBytes
            ? full + suffix
            : Path.Combine(Path.GetDirectoryName(full)!, "." + Hash(Path.GetFileName(full)) + suffix);
    }

    /// <summary>Deletes a file, ignoring one that cannot be deleted (a best-effort clean-up).</summary>
    internal static void TryDelete(string path)
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

    // ".NAME" while ".NAME.xxxxxxxx.tmp" fits in 255 bytes; a hash of NAME beyond (a 250-byte name must still work).
    private static string TempPrefix(string name) =>
        Encoding.UTF8.GetByteCount(name) + 14 <= MaxNameBytes ? "." + name : ".aeonnx-" + Hash(name);

    private static string Hash(string name) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..16];
}
