using AeOnnx.Imaging;
using AeOnnx.IO;

namespace AeOnnx.Server.Explore;

/// <summary>
/// The images the explorer's map shows (<c>--explore</c>): an IDX image file (Fashion-MNIST's test set as
/// Debian's dataset-fashion-mnist ships it, labels from the file beside it) or a folder of image files
/// (labels from the first-level subfolder names, as training's folder reader takes them). Read once at
/// start; each model generation encodes them again. At most <see cref="ServerOptions.ExploreMaxImages"/>
/// images, taken in a fixed order (IDX order; sorted relative paths).
/// </summary>
internal sealed class ExploreSet
{
    private readonly string? _root;
    private readonly string[]? _files;
    private readonly byte[]? _pixels;
    private readonly int _rows;
    private readonly int _columns;

    private ExploreSet(string source, string kind, string[] names, int[] labels, string[]? labelNames, string? root, string[]? files, byte[]? pixels, int rows, int columns)
    {
        Source = source;
        Kind = kind;
        Names = names;
        Labels = labels;
        LabelNames = labelNames;
        _root = root;
        _files = files;
        _pixels = pixels;
        _rows = rows;
        _columns = columns;
    }

    /// <summary>What the set is, by name only (never the server's directory layout): a file or folder name.</summary>
    public string Source { get; }

    /// <summary><c>idx</c> or <c>folder</c>.</summary>
    public string Kind { get; }

    public int Count => Names.Count;

    /// <summary>Each image's name: its relative path in a folder, <c>#index</c> in an IDX file.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Each image's label index (-1: none): into <see cref="LabelNames"/> for a folder, the dataset's class number for IDX.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>A folder's subfolder names; null for IDX, whose class numbers are named by the model's manifest.</summary>
    public IReadOnlyList<string>? LabelNames { get; }

    /// <summary>Reads the set at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">Nothing usable there: the message says why.</exception>
    public static ExploreSet Load(string path, int maxImages)
    {
        if (Directory.Exists(path))
        {
            return LoadFolder(path, maxImages);
        }

        if (!File.Exists(path))
        {
            throw new ArgumentException($"--explore '{path}': no such file or folder.");
        }

        if (!IdxImages.IsImagesFile(path))
        {
            throw new ArgumentException($"--explore '{path}': give a folder of images or an IDX image file (*-images-idx3-ubyte[.gz], e.g. Fashion-MNIST's t10k set).");
        }

        try
        {
            var (count, rows, columns, pixels) = IdxImages.ReadImages(path, maxImages);
            var labelsFile = IdxImages.LabelsFileFor(path);
            var labels = labelsFile is null ? Enumerable.Repeat(-1, count).ToArray() : IdxImages.ReadLabels(labelsFile, count).Select(b => (int)b).ToArray();
            var names = Enumerable.Range(0, count).Select(i => $"#{i}").ToArray();
            return new ExploreSet(Path.GetFileName(path), "idx", names, labels, null, null, null, pixels, rows, columns);
        }
        catch (Exception e) when (e is InvalidDataException or RegularFileException or IOException)
        {
            throw new ArgumentException($"--explore '{path}': {(e is RegularFileException r ? r.Detail : e.Message)}", e);
        }
    }

    /// <summary>The encoder's input for image <paramref name="index"/>, by the model's own preprocessing rules.</summary>
    /// <exception cref="ImageLoadException">A folder's file cannot be read or decoded (now).</exception>
    public float[] Tensor(Autoencoder model, int index)
    {
        if (_pixels is not null)
        {
            var size = _rows * _columns;
            var image = new ImageData(_columns, _rows, ImagePixelFormat.Gray8, _pixels.AsMemory(index * size, size));
            return model.Images.ToTensor(image);
        }

        // The path is one this class enumerated inside the root; checked again in case the tree changed since.
        var file = PathRules.ResolveInside(_root!, _files![index])
            ?? throw new ImageLoadException(_files[index], ImageLoadError.Unreadable, "not inside the explore folder");
        return model.Images.LoadTensor(file);
    }

    private static ExploreSet LoadFolder(string folder, int maxImages)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));

        // Regular files only, no symbolic links followed (a link could lead out of the folder), sorted for a fixed order.
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.ReparsePoint | FileAttributes.System, IgnoreInaccessible = true, MaxRecursionDepth = 8 };
        var files = Directory.EnumerateFiles(root, "*", options)
            .Where(ImageFormats.HasImageExtension)
            .Select(f => Path.GetRelativePath(root, f))
            .Order(StringComparer.Ordinal)
            .Take(maxImages)
            .ToArray();
        if (files.Length == 0)
        {
            throw new ArgumentException($"--explore '{folder}': the folder holds no image files ({ImageFormats.ExtensionGlobs}).");
        }

        var labelNames = files.Select(FirstFolder).Where(l => l is not null).Select(l => l!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var labels = files.Select(f => FirstFolder(f) is { } l ? Array.IndexOf(labelNames, l) : -1).ToArray();
        return new ExploreSet(Path.GetFileName(root), "folder", files.Select(f => f.Replace('\\', '/')).ToArray(), labels, labelNames, root, files, null, 0, 0);
    }

    private static string? FirstFolder(string relative)
    {
        var separator = relative.IndexOfAny(['/', '\\']);
        return separator > 0 ? relative[..separator] : null;
    }
}
