namespace AeOnnx.Cli.Inputs;

/// <summary>One input file: the path shown in reports (as the user wrote it, '/' separators) and the full path.</summary>
/// <param name="Position">Position in the full, unsharded input list (0-based).</param>
internal sealed record InputItem(int Position, string DisplayPath, string FullPath);
