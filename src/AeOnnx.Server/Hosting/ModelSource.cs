using System.Security.Cryptography;
using System.Text;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// Where the served model comes from: a model folder, or a pointer file naming one. A deployment
/// swaps models either by replacing the folder's files (a new complete folder moved into place) or
/// by rewriting the pointer file to name another folder.
/// </summary>
internal sealed class ModelSource(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public bool IsPointerFile => File.Exists(Path);

    /// <summary>The model folder the source names right now.</summary>
    public string ResolveFolder()
    {
        if (!IsPointerFile)
        {
            return Path;
        }

        // A pointer file: its first non-empty line names the folder, relative to the pointer's folder.
        var line = File.ReadLines(Path).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#'));
        if (line is null)
        {
            throw new ModelLoadException(Path, "pointer", "a line naming a model folder", "an empty file");
        }

        return System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, line));
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
}
