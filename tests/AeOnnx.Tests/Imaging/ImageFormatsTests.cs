using System.Text.Json;
using System.Text.RegularExpressions;
using AeOnnx.Imaging;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Imaging;

/// <summary>The format registry (docs/image-formats.json) and everything that must say the same: docs, messages, Python.</summary>
public sealed partial class ImageFormatsTests
{
    private static string RegistryFile => Path.Combine(TestModels.RepoRoot, "docs", "image-formats.json");

    [Fact]
    public void The_registry_is_the_docs_file_in_its_order()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(RegistryFile));
        var formats = json.RootElement.GetProperty("formats").EnumerateArray().ToArray();
        Assert.Equal(formats.Select(f => f.GetProperty("name").GetString()), ImageFormats.All.Select(f => f.Name));
        Assert.Equal(["PNG", "JPEG", "BMP", "GIF", "WebP"], ImageFormats.All.Select(f => f.Name));
        Assert.Equal([".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"], ImageFormats.Extensions);
        Assert.Equal("PNG, JPEG, BMP, GIF or WebP", ImageFormats.Names);
        Assert.Equal("*.png *.jpg *.jpeg *.bmp *.gif *.webp", ImageFormats.ExtensionGlobs);
        Assert.Contains("image/webp", ImageFormats.MediaTypes);
    }

    [Theory]
    [InlineData("a.PNG", true)]
    [InlineData("dir/b.jpeg", true)]
    [InlineData("c.WebP", true)]
    [InlineData("d.tiff", false)]
    [InlineData("png", false)]
    [InlineData("e.png.txt", false)]
    public void Folder_listings_take_the_registry_extensions_in_any_case(string name, bool taken) =>
        Assert.Equal(taken, ImageFormats.HasImageExtension(name));

    [Theory]
    [InlineData("89504E470D0A1A0A0000000D", "PNG")]
    [InlineData("FFD8FFE000104A464946", "JPEG")]
    [InlineData("424D3A000000", "BMP")]
    [InlineData("474946383761", "GIF")]
    [InlineData("474946383961", "GIF")]
    [InlineData("524946461A00000057454250", "WebP")]
    [InlineData("524946461A00000057415645", null)] // RIFF WAVE: the second part of WebP's signature fails
    [InlineData("89504E47", null)] // a PNG signature cut short
    [InlineData("", null)]
    public void Formats_are_recognized_by_every_part_of_a_signature(string hex, string? expected) =>
        Assert.Equal(expected, ImageFormats.Detect(Convert.FromHexString(hex))?.Name);

    /// <summary>
    /// Wherever the docs, the explorer page or a message list formats by name, the list is the registry's
    /// whole list; a list of default globs is the registry's globs. (A list that omitted WebP went stale twice.)
    /// </summary>
    [Fact]
    public void Docs_and_the_explorer_page_list_every_registered_format()
    {
        var root = TestModels.RepoRoot;
        var files = Directory.GetFiles(Path.Combine(root, "docs"), "*.md")
            .Append(Path.Combine(root, "README.md"))
            .Append(Path.Combine(root, "src", "AeOnnx.Server", "Explorer", "index.html"))
            .Concat(Directory.GetFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")));
        var checkedLists = 0;
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            foreach (Match list in NameList().Matches(text))
            {
                checkedLists++;
                var named = Regex.Split(list.Value, ", | or | and |/");
                Assert.True(
                    ImageFormats.All.All(f => named.Contains(f.Name)),
                    $"{Path.GetRelativePath(root, file)} lists '{list.Value}'; the registry has {ImageFormats.Names}.");
            }

            foreach (Match globs in GlobList().Matches(text))
            {
                Assert.True(globs.Value == ImageFormats.ExtensionGlobs, $"{Path.GetRelativePath(root, file)} lists '{globs.Value}'; the registry's are '{ImageFormats.ExtensionGlobs}'.");
            }
        }

        Assert.True(checkedLists >= 4, $"only {checkedLists} format lists found: the pattern no longer finds the docs' lists");
    }

    [GeneratedRegex(@"\b(PNG|JPEG|BMP|GIF|WebP)((, | or | and |/)(PNG|JPEG|BMP|GIF|WebP)){2,}")]
    private static partial Regex NameList();

    [GeneratedRegex(@"\*\.png( \*\.[a-z]+)+")]
    private static partial Regex GlobList();
}
