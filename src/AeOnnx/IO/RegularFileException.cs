namespace AeOnnx.IO;

/// <summary>A path <see cref="RegularFile"/> refused; callers map it to their own error (an image, a model, a pointer).</summary>
internal sealed class RegularFileException(string path, RegularFileProblem problem, string detail, Exception? inner = null)
    : IOException($"{path}: {detail}", inner)
{
    public string Path { get; } = path;

    public RegularFileProblem Problem { get; } = problem;

    /// <summary>The reason without the path, e.g. "the path is a directory.".</summary>
    public string Detail { get; } = detail;
}
