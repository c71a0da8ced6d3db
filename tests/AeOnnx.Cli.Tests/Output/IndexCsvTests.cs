using AeOnnx.Cli.Output;

namespace AeOnnx.Cli.Tests.Output;

public sealed class IndexCsvTests
{
    [Fact]
    public void Lines_quote_commas_and_quotes_and_parse_back()
    {
        var entry = new IndexEntry(null, "dir/a, \"b\".png", IndexEntry.Skipped, "corrupt: bad \"IHDR\", line\nbreak");
        var line = IndexCsv.Format(entry, withErrors: false);
        Assert.Equal(",\"dir/a, \"\"b\"\".png\",skipped,\"corrupt: bad \"\"IHDR\"\", line break\"", line);
        Assert.Equal(entry with { Reason = "corrupt: bad \"IHDR\", line break" }, IndexCsv.ParseLine(line));
    }

    [Fact]
    public void Errors_columns_round_trip_including_infinite_psnr()
    {
        var entry = new IndexEntry(4, "a/x.png", IndexEntry.Ok, string.Empty, 0.0123, double.PositiveInfinity, "x-2.png");
        var line = IndexCsv.Format(entry, withErrors: true);
        Assert.Equal("4,a/x.png,ok,,0.0123,inf,x-2.png", line);
        Assert.Equal(entry, IndexCsv.ParseLine(line));
    }

    [Fact]
    public void Render_starts_with_the_header()
    {
        var text = IndexCsv.Render([new IndexEntry(0, "a.png", IndexEntry.Ok, string.Empty)], withErrors: false);
        Assert.Equal("row,path,status,reason\n0,a.png,ok,\n", text);
    }
}
