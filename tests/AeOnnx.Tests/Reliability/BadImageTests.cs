using AeOnnx.Imaging;
using AeOnnx.Tests.Support;
using Xunit.Abstractions;

namespace AeOnnx.Tests.Reliability;

/// <summary>
/// The bad-image corpus through the library: every refused kind throws <see cref="ImageLoadException"/>
/// (and nothing else) with the documented <see cref="ImageLoadError"/> and a message naming the file;
/// every valid-but-different kind is converted as the manifest says, checked against values computed
/// independently.
/// </summary>
[Collection(SharedModelsCollection.Name)]
public sealed class BadImageTests(SharedModels models, PlantedCorpus corpus, ITestOutputHelper output) : IDisposable, IClassFixture<PlantedCorpus>
{
    private readonly TempFolder _temp = new();

    public static IEnumerable<object[]> Kinds => BadImageCorpus.Kinds();

    public void Dispose()
    {
        BadImageCorpus.Remove(_temp.Path);
        _temp.Dispose();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Each_kind_is_refused_with_its_error_or_converted(string kind)
    {
        var planted = corpus.Images.Single(p => p.Kind == kind);
        var converter = models.Get(TestModels.FashionAe).Images;
        // A load that blocks (a FIFO without a writer) must fail the test, not hang the run.
        var load = await Hang.Returned(Task.Run(() => converter.LoadTensor(planted.Path)), $"{kind}: loading");
        if (planted.Lenient)
        {
            // Either outcome, but never another exception type.
            Assert.True(load.IsCompletedSuccessfully || load.Exception?.InnerException is ImageLoadException, $"{kind}: {load.Exception}");
            output.WriteLine($"{kind}: {(load.IsCompletedSuccessfully ? "decoded leniently" : load.Exception!.InnerException!.Message)}");
        }
        else if (planted.Expected is { } expected)
        {
            var error = Assert.IsType<ImageLoadException>(load.Exception?.InnerException);
            output.WriteLine($"{kind}: {error.Error}: {error.Message}");
            Assert.Equal(expected, error.Error);
            Assert.Equal(planted.Path, error.Path);
            Assert.Contains(planted.Path, error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(load.Exception);
            var tensor = await load;
            Assert.Equal(784, tensor.Length);
            var pixels = tensor.Select(v => (int)MathF.Round(v * 255f)).ToArray();
            output.WriteLine($"{kind}: pixels {pixels.Min()}..{pixels.Max()}, expected {planted.Gray} ± {planted.Tolerance}");
            Assert.All(pixels, p => Assert.InRange(p, planted.Gray - planted.Tolerance, planted.Gray + planted.Tolerance));
        }
    }

    [Fact]
    public void A_fifo_with_a_whole_image_waiting_is_refused_without_reading_a_byte()
    {
        var png = BadImageCorpus.GoodPng(1);
        using var fifo = new FilledFifo(_temp.File("fifo.png"), png);
        var error = Assert.Throws<ImageLoadException>(() => models.Get(TestModels.FashionAe).Images.LoadTensor(_temp.File("fifo.png")));
        Assert.Equal(ImageLoadError.Unreadable, error.Error);
        Assert.Equal(png.Length, fifo.Waiting);
    }

    [Fact]
    public void Corpus_has_at_least_25_kinds_and_every_error_kind()
    {
        var planted = corpus.Images;
        Assert.True(planted.Count >= 40, $"{planted.Count} kinds");
        Assert.True(planted.Count(p => p.Expected is not null) >= 25);
        foreach (var error in new[] { ImageLoadError.NotFound, ImageLoadError.Unreadable, ImageLoadError.UnsupportedFormat, ImageLoadError.Corrupt, ImageLoadError.TooLarge })
        {
            Assert.Contains(planted, p => p.Expected == error);
        }
    }

    [NotRootFact]
    public void Chmod_000_file_is_unreadable()
    {
        var path = _temp.File("locked.png");
        File.WriteAllBytes(path, BadImageCorpus.GoodPng(1));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.None);
        }

        var error = Assert.Throws<ImageLoadException>(() => models.Get(TestModels.FashionAe).Images.LoadTensor(path));
        Assert.Equal(ImageLoadError.Unreadable, error.Error);
    }

    [Fact]
    public void A_file_deleted_between_listing_and_reading_is_not_found_and_the_rest_continue()
    {
        var model = models.Get(TestModels.FashionAe);
        var paths = Enumerable.Range(0, 6).Select(i =>
        {
            var path = _temp.File($"{i}.png");
            File.WriteAllBytes(path, BadImageCorpus.GoodPng(i));
            return path;
        }).ToList();

        // The listing names file 3, which is deleted before the pipeline gets to read it. (Deleting
        // it after yielding raced with the decode task, which may already have read it.)
        IEnumerable<string> Listing()
        {
            foreach (var path in paths)
            {
                if (path.EndsWith("3.png", StringComparison.Ordinal))
                {
                    File.Delete(path);
                }

                yield return path;
            }
        }

        var results = model.EncodeFilesAsync(Listing(), new() { DecodeWorkers = 1, BatchSize = 2 }).ToBlockingEnumerable().ToList();
        Assert.Equal(6, results.Count);
        Assert.Equal(5, results.Count(r => r.Succeeded));
        var failure = Assert.IsType<ImageLoadException>(results[3].Failure);
        Assert.Equal(ImageLoadError.NotFound, failure.Error);
    }
}

/// <summary>The corpus planted once for a test class (planting it costs about half a second).</summary>
public sealed class PlantedCorpus : IDisposable
{
    public PlantedCorpus()
    {
        Folder = Directory.CreateTempSubdirectory("aeonnx-corpus-").FullName;
        Images = BadImageCorpus.Plant(Folder);
    }

    public string Folder { get; }

    public List<PlantedImage> Images { get; }

    public void Dispose() => BadImageCorpus.Remove(Folder);
}
