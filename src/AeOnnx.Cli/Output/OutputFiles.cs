using AeOnnx.IO;

namespace AeOnnx.Cli.Output;

/// <summary>Checks that a job's outputs can be written before any work (the writing itself is <see cref="IO.AtomicFile"/>).</summary>
internal static class OutputFiles
{
    /// <summary>Fails early, with a clear message, when an output cannot be created in its folder.</summary>
    public static void CheckWritable(string path)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        var probe = Path.Combine(folder, ".aeonnx-probe-" + Guid.NewGuid().ToString("N")[..8]);
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
            IO.AtomicFile.TryDelete(probe);
        }

        if (Directory.Exists(full))
        {
            throw CliException.Fatal($"cannot write output '{path}': it is a folder.");
        }
    }
}
