using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Tests.Output;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temporary()
    {
        string path = temp.Write("out.bin", "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["out.bin"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_write_replaces_the_file_and_creates_folders()
    {
        string path = temp["new/deeper/out.txt"];
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two");
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void Unwritable_output_is_fatal()
    {
        string folderAsFile = temp.Write("file", "x");
        var e = Assert.Throws<CliException>(() => AtomicFile.CheckWritable(Path.Combine(folderAsFile, "out.npy")));
        Assert.Equal(ExitCodes.Fatal, e.ExitCode);
    }
}
