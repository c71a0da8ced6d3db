namespace AeOnnx.Server.Tests.Support;

/// <summary>
/// The explorer's map tests (a 10,000-image map, headless Chromium) run alone, after the parallel tests: three
/// browsers and a map being computed beside them slowed a serve process's Ctrl+C exit past its test's limit.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExplorerCollection
{
    public const string Name = "explorer map";
}
