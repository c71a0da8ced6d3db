using System.Security.Cryptography;
using System.Text;
using AeOnnx.IO;

namespace AeOnnx.Hosting;

/// <summary>
/// Where a served model comes from: a model folder, or a pointer file naming one. A deployment
/// swaps models either by replacing the folder's files (a new complete folder moved into place) or
/// by rewriting the pointer file to name another folder. Read by the service (<c>--model</c>,
/// <c>--watch</c>) and by ML.NET's folder watch, through <see cref="ModelWatch"/>.
/// </summary>
internal sealed class ModelLocation(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public bool IsPointerFile => File.Exists(Path);

    /// <summary>Largest pointer file read: a pointer holds one folder name.</summary>
    public const long MaxPointerBytes = 64 * 1024;

    /// <summary>
    /// The model folder the source names right now. A pointer file's first non-empty line that is not a
    /// comment names a folder relative to the pointer's own folder and inside it (no absolute path, no
    /// <c>..</c> out of it); the pointer must be a regular file of at most <see cref="MaxPointerBytes"/>
    /// (a FIFO or a link to <c>/dev/zero</c> is refused at once, never read).
    /// </summary>
    /// <exception cref="ModelLoadException">The pointer cannot be read or names no folder inside its own.</exception>
    public string ResolveFolder()
    {
        if (!IsPointerFile)
        {
            return Path;
        }

        byte[] bytes;
        try
        {
            bytes = RegularFile.ReadAllBytes(Path, MaxPointerBytes);
        }
        catch (RegularFileException e)
        {
            throw new ModelLoadException(Path, "pointer", $"a regular text file of at most {MaxPointerBytes} bytes naming a model folder", e.Detail, e);
        }

        var line = Encoding.UTF8.GetString(bytes).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#'));
        if (line is null)
        {
            throw new ModelLoadException(Path, "pointer", "a line naming a model folder", "an empty file");
        }

        var root = System.IO.Path.GetDirectoryName(Path)!;
        return PathRules.ResolveInside(root, line)
            ?? throw new ModelLoadException(Path, "pointer", "a model folder inside the pointer's own folder (a relative name, no '..' out of it)", System.IO.Path.IsPathRooted(line) ? "an absolute path" : $"\"{line}\"");
    }

    /// <summary>
    /// A cheap summary of what the source names (pointer text, the folder's files, their sizes and
    /// times): when it changes, the watcher tries a reload. Never throws; a missing folder has a
    /// fingerprint of its own.
    /// </summary>
    public string Fingerprint()
    {
        var text = new StringBuilder();
        try
        {
            var folder = ResolveFolder();
            text.Append(folder).Append('\n');
            var directory = new DirectoryInfo(folder);
            if (directory.Exists)
            {
                // Folder identity catches a folder replaced by rename, even if the files look alike.
                text.Append(directory.CreationTimeUtc.Ticks).Append('\n');
                foreach (var file in directory.EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
                {
                    text.Append(file.Name).Append(' ').Append(file.Length).Append(' ').Append(file.LastWriteTimeUtc.Ticks).Append('\n');
                }
            }
            else
            {
                text.Append("missing\n");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ModelLoadException)
        {
            text.Append("error ").Append(e.Message);
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// The fingerprint of one file (a saved pipeline zip): its identity, size and times, so a file replaced
    /// by rename or rewritten in place both count as a change. Never throws; a missing file has its own.
    /// </summary>
    public static string FileFingerprint(string path)
    {
        string text;
        try
        {
            var file = new FileInfo(path);
            text = file.Exists ? $"{file.FullName}\n{file.Length}\n{file.LastWriteTimeUtc.Ticks}\n{file.CreationTimeUtc.Ticks}" : $"{file.FullName}\nmissing";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            text = "error " + e.Message;
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
