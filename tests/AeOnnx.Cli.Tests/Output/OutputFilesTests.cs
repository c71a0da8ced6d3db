using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Tests.Output;

public sealed class OutputFilesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Unwritable_output_is_fatal()
    {
        var folderAsFile = _temp.Write("file", "x");
        var e = Assert.Throws<CliException>(() => OutputFiles.CheckWritable(Path.Combine(folderAsFile, "out.npy")));
        Assert.Equal(ExitCodes.Fatal, e.ExitCode);
    }
}
