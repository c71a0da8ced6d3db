using AeOnnx.Cli.Inputs;

namespace AeOnnx.Cli.Tests.Inputs;

public sealed class ShardSpecTests
{
    [Theory]
    [InlineData(30, 4)]
    [InlineData(3, 5)]
    [InlineData(0, 2)]
    [InlineData(1001, 7)]
    public void Shards_partition_the_list_into_contiguous_blocks_in_order(int total, int count)
    {
        var next = 0;
        for (var k = 1; k <= count; k++)
        {
            (var start, var length) = new ShardSpec(k, count).Range(total);
            Assert.Equal(next, start);
            Assert.InRange(length, total / count, (total / count) + 1);
            next = start + length;
        }

        Assert.Equal(total, next);
    }

    [Theory]
    [InlineData("0/4")]
    [InlineData("5/4")]
    [InlineData("1/0")]
    [InlineData("a/b")]
    [InlineData("1")]
    [InlineData("-1/2")]
    public void Bad_specs_are_usage_errors(string text)
    {
        var e = Assert.Throws<CliException>(() => ShardSpec.Parse(text));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }

    [Fact]
    public void Parses_k_of_n() => Assert.Equal(new ShardSpec(2, 4), ShardSpec.Parse("2/4"));
}
