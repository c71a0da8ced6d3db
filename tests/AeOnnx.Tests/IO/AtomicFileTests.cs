using AeOnnx.IO;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temporary()
    {
        var path = _temp.File("out.bin");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["out.bin"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_write_replaces_the_file_and_creates_folders()
    {
        var path = _temp.File("new/deeper/out.txt");
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllBytes(path, "two"u8.ToArray());
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void Stale_temporaries_of_the_named_files_are_deleted_and_others_kept()
    {
        File.WriteAllText(_temp.File(".z.npy.0123abcd.tmp"), "killed writer");
        File.WriteAllText(_temp.File(".other.npy.0123abcd.tmp"), "not ours");
        File.WriteAllText(_temp.File("z.npy"), "kept");
        AtomicFile.DeleteStaleTemporaries(_temp.Path, ["z.npy"]);
        Assert.Equal([".other.npy.0123abcd.tmp", "z.npy"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Stale_temporaries_of_a_family_of_names_are_deleted_by_a_rule()
    {
        File.WriteAllText(_temp.File(".000007.png.0123abcd.tmp"), "killed writer");
        File.WriteAllText(_temp.File(".000007.png.tmp"), "not a temporary of ours: no random part");
        File.WriteAllText(_temp.File(".notes.png.0123abcd.tmp"), "not in the family");
        File.WriteAllText(_temp.File("000007.png"), "kept");
        var asked = new List<string>();
        AtomicFile.DeleteStaleTemporaries(_temp.Path, name =>
        {
            asked.Add(name);
            return name.StartsWith("0000", StringComparison.Ordinal);
        });
        Assert.Equal([".000007.png.tmp", ".notes.png.0123abcd.tmp", "000007.png"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["000007.png", "notes.png"], asked.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_sibling_of_a_long_name_still_fits_a_file_name()
    {
        var shortName = _temp.File("z.npy");
        Assert.Equal(shortName + ".journal", AtomicFile.Sibling(shortName, ".journal"));
        var longName = _temp.File(new string('a', 250) + ".npy");
        var sibling = AtomicFile.Sibling(longName, ".journal");
        Assert.Equal(_temp.Path, Path.GetDirectoryName(sibling));
        Assert.True(Path.GetFileName(sibling).Length <= 255);
        Assert.EndsWith(".journal", sibling, StringComparison.Ordinal);

        // A write to a 250-byte name works (its temporary takes a hashed name).
        AtomicFile.WriteAllText(longName, "x");
        Assert.Equal("x", File.ReadAllText(longName));
    }
}
