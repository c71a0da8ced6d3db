using AeOnnx.Cli.Inputs;

namespace AeOnnx.Cli.Tests.Inputs;

public sealed class InputResolverTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public InputResolverTests()
    {
        foreach (var name in new[] { "b.png", "a.png", "B.png", "sub/c.jpg", "sub/deeper/d.png", "notes.txt", ".hidden.png", "Z.GIF" })
        {
            _temp.Write("imgs/" + name, "x");
        }
    }

    public void Dispose() => _temp.Dispose();

    private IReadOnlyList<InputItem> Resolve(string[] args, string[]? lists = null, string? pattern = null) =>
        InputResolver.Resolve(args, lists ?? [], pattern, _temp.Path);

    [Fact]
    public void Folder_is_searched_recursively_for_images_in_ordinal_order()
    {
        var items = Resolve(["imgs"]);
        Assert.Equal(
            ["imgs/B.png", "imgs/Z.GIF", "imgs/a.png", "imgs/b.png", "imgs/sub/c.jpg", "imgs/sub/deeper/d.png"],
            items.Select(i => i.DisplayPath));
        Assert.Equal(Enumerable.Range(0, 6), items.Select(i => i.Position));
        Assert.All(items, i => Assert.True(File.Exists(i.FullPath)));
    }

    [Fact]
    public void Pattern_filters_files_in_folders_by_name_or_relative_path()
    {
        Assert.Equal(["imgs/B.png", "imgs/a.png", "imgs/b.png", "imgs/sub/deeper/d.png"], Resolve(["imgs"], pattern: "*.png").Select(i => i.DisplayPath));
        Assert.Equal(["imgs/sub/deeper/d.png"], Resolve(["imgs"], pattern: "sub/**/*.png").Select(i => i.DisplayPath));
        Assert.Equal(["imgs/notes.txt"], Resolve(["imgs"], pattern: "*.txt").Select(i => i.DisplayPath));
    }

    [Fact]
    public void Quoted_globs_expand_with_double_star_across_folders()
    {
        Assert.Equal(["imgs/B.png", "imgs/a.png", "imgs/b.png"], Resolve(["imgs/*.png"]).Select(i => i.DisplayPath)); // anchored: not sub/deeper
        Assert.Equal(["imgs/B.png", "imgs/a.png", "imgs/b.png", "imgs/sub/deeper/d.png"], Resolve(["imgs/**/*.png"]).Select(i => i.DisplayPath));
        Assert.Empty(Resolve(["nowhere/*.png"]));
    }

    [Fact]
    public void List_files_and_arguments_keep_their_order_and_drop_duplicates()
    {
        _temp.Write("list.txt", "# chosen\nimgs/sub/c.jpg\n\nimgs/a.png\nimgs/a.png\n");
        var items = Resolve(["imgs/b.png", "@" + _temp["list.txt"]], [_temp["list.txt"]]);
        Assert.Equal(["imgs/b.png", "imgs/sub/c.jpg", "imgs/a.png"], items.Select(i => i.DisplayPath));
    }

    [Fact]
    public void Named_files_are_kept_even_when_missing_or_not_images()
    {
        var items = Resolve(["imgs/notes.txt", "missing.png"]);
        Assert.Equal(["imgs/notes.txt", "missing.png"], items.Select(i => i.DisplayPath));
    }

    [Fact]
    public void Missing_list_file_is_a_usage_error()
    {
        var e = Assert.Throws<CliException>(() => Resolve(["@nope.txt"]));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }
}
