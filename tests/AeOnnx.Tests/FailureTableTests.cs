using AeOnnx.Imaging;

namespace AeOnnx.Tests;

/// <summary>The one table from failures to the CLI's exit codes and the service's HTTP statuses.</summary>
public sealed class FailureTableTests
{
    [Theory]
    [InlineData(ImageLoadError.TooLarge, nameof(FailureKind.ImageTooLarge), 413)]
    [InlineData(ImageLoadError.UnsupportedFormat, nameof(FailureKind.ImageUnsupported), 415)]
    [InlineData(ImageLoadError.Corrupt, nameof(FailureKind.ImageUnusable), 422)]
    [InlineData(ImageLoadError.NotFound, nameof(FailureKind.ImageUnusable), 422)]
    public void A_bad_image_is_a_skipped_input_for_the_cli_and_a_4xx_for_the_service(ImageLoadError error, string kindName, int status)
    {
        var kind = Enum.Parse<FailureKind>(kindName);
        var e = new ImageLoadException("x.png", error, "detail");
        Assert.Equal(kind, FailureTable.Classify(e));
        Assert.Equal(status, FailureTable.HttpStatus(kind));
        Assert.Equal(ExitCodes.SomeInputsSkipped, FailureTable.ExitCode(kind));
    }

    [Fact]
    public void Every_kind_has_a_row_with_the_documented_codes()
    {
        foreach (var kind in Enum.GetValues<FailureKind>())
        {
            Assert.Contains(FailureTable.ExitCode(kind), new[] { 1, 2, 3, 130 });
            Assert.InRange(FailureTable.HttpStatus(kind), 400, 599);
            Assert.False(string.IsNullOrEmpty(FailureTable.Title(kind)));
        }

        Assert.Equal((2, 400), (FailureTable.ExitCode(FailureKind.Usage), FailureTable.HttpStatus(FailureKind.Usage)));
        Assert.Equal((1, 500), (FailureTable.ExitCode(FailureKind.Internal), FailureTable.HttpStatus(FailureKind.Internal)));
        Assert.Equal((130, 499), (FailureTable.ExitCode(FailureKind.Cancelled), FailureTable.HttpStatus(FailureKind.Cancelled)));
    }

    [Fact]
    public void Exceptions_are_classified_by_type_and_cancellation_only_by_the_callers_token()
    {
        Assert.Equal(FailureKind.Usage, FailureTable.Classify(new InvalidDataException("bad .npy")));
        Assert.Equal(FailureKind.Io, FailureTable.Classify(new IOException("disk")));
        Assert.Equal(FailureKind.Io, FailureTable.Classify(new UnauthorizedAccessException("denied")));
        Assert.Equal(FailureKind.ModelRefused, FailureTable.Classify(new ModelLoadException("m.json", "kind", "\"ae\"", "\"x\"")));
        Assert.Equal(FailureKind.OutOfMemory, FailureTable.Classify(new OutOfMemoryException()));
        Assert.Equal(FailureKind.Internal, FailureTable.Classify(new ArgumentException("a bug")));
        Assert.Equal(FailureKind.Internal, FailureTable.Classify(new OperationCanceledException()));
        Assert.Equal(FailureKind.Cancelled, FailureTable.Classify(new OperationCanceledException(), cancelled: true));
        Assert.True(FailureTable.IsLoadRefusal(new ArgumentOutOfRangeException("options", 5, "too large")));
        Assert.False(FailureTable.IsLoadRefusal(new NullReferenceException()));
    }

    [Fact]
    public void One_line_drops_the_parameter_suffix_and_line_breaks()
    {
        var e = new ArgumentOutOfRangeException("options", 400000, "A batch of 400000 images\nis too large.");
        Assert.Equal("A batch of 400000 images is too large.", FailureTable.OneLine(e));
        Assert.Equal(603, FailureTable.OneLine(new InvalidOperationException(new string('x', 700))).Length);
    }
}
