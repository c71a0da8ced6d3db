namespace AeOnnx.Cli.Inputs;

/// <summary>
/// One input file: the path shown in reports (as the user wrote it, '/' separators) and the full path.
/// Files found in a folder keep only their path relative to it and share the folder's prefixes, so a
/// job over hundreds of thousands of files holds one short string per file, not two long ones; the
/// paths are put together when asked for.
/// </summary>
internal sealed class InputItem
{
    private readonly string? _display;
    private readonly string? _full;
    private readonly InputRoot? _root;
    private readonly string? _relative;

    /// <summary>A file named directly.</summary>
    public InputItem(int position, string displayPath, string fullPath)
    {
        Position = position;
        _display = displayPath;
        _full = fullPath;
    }

    /// <summary>A file found below a folder, by its '/'-separated path relative to it.</summary>
    public InputItem(int position, InputRoot root, string relative)
    {
        Position = position;
        _root = root;
        _relative = relative;
    }

    /// <summary>Position in the full, unsharded input list (0-based).</summary>
    public int Position { get; }

    public string DisplayPath => _display ?? _root!.Display(_relative!);

    public string FullPath => _full ?? _root!.Full(_relative!);

    /// <summary>The same file at another position in the input list.</summary>
    public InputItem At(int position) => _root is null ? new InputItem(position, _display!, _full!) : new InputItem(position, _root, _relative!);

    public override string ToString() => $"#{Position} {DisplayPath}";
}

/// <summary>A listed folder: the prefix shown in reports and its full path.</summary>
internal sealed class InputRoot(string displayPrefix, string fullRoot)
{
    public string Display(string relative) => displayPrefix.Length == 0 || displayPrefix == "." ? relative : displayPrefix + "/" + relative;

    public string Full(string relative) => Path.Combine(fullRoot, relative.Replace('/', Path.DirectorySeparatorChar));
}
