namespace AeOnnx.Cli.Jobs;

/// <summary>
/// An exclusive lock on a job's outputs: a lock file opened with <see cref="FileShare.None"/> (an
/// <c>flock</c> on Unix, a share lock on Windows), held until the job ends. A second job on the same
/// outputs is refused at once instead of interleaving its writes with the first one's.
/// </summary>
internal sealed class JobLock : IDisposable
{
    private readonly FileStream _stream;

    private JobLock(string path, FileStream stream)
    {
        Path = path;
        this._stream = stream;
    }

    public string Path { get; }

    /// <exception cref="CliException">Fatal (exit 1): another job holds the lock, or it cannot be created.</exception>
    public static JobLock Acquire(string path, string outputShown)
    {
        // Canonical, so two jobs naming one output through different links take the same lock.
        var full = Inputs.CanonicalPath.Of(path);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            return new JobLock(full, new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
        }
        catch (IOException e) when (System.IO.File.Exists(full))
        {
            throw CliException.Fatal(
                $"another aeonnx job is writing '{outputShown}' (it holds '{full}'); wait for it to finish or choose another output.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Fatal($"cannot write output '{outputShown}': {e.Message}", e);
        }
    }

    public void Dispose()
    {
        // Removed while still held, so a job that starts now creates a fresh lock file instead of
        // waiting on this one's unlinked copy.
        try
        {
            System.IO.File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        _stream.Dispose();
    }
}
