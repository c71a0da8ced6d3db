using AeOnnx.Server.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;

namespace AeOnnx.Server.Tests;

/// <summary>The explorer follows a hot swap: model facts and the map refresh when the served generation changes.</summary>
[Collection(ExplorerCollection.Name)]
public sealed class ExplorerSwapBrowserTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("aeonnx-map-swap-").FullName;

    [BrowserFact]
    public async Task When_the_watched_pointer_names_another_model_the_page_shows_its_facts_and_its_map()
    {
        foreach (var model in new[] { "fashion-mnist-ae", "tiny-rgb" })
        {
            Directory.CreateSymbolicLink(Path.Combine(_folder, model), Repo.Model(model));
        }

        var pointer = Path.Combine(_folder, "current.txt");
        File.WriteAllText(pointer, "fashion-mnist-ae\n");
        string file;
        using (var core = Autoencoder.Load(Repo.Model("fashion-mnist-ae"), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 }))
        {
            (file, _, _) = ExploreData.WriteIdx(Directory.CreateDirectory(Path.Combine(_folder, "set")).FullName, 400, core);
        }

        await using var server = await TestServer.StartAsync(pointer, o =>
        {
            o.ExplorePath = file;
            o.Watch = true;
            o.WatchInterval = TimeSpan.FromMilliseconds(100);
        });
        await ExploreData.WaitForMapAsync(server.Client);

        using var driver = Browser.Start(1200, 1000);
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(90));
        driver.Navigate().GoToUrl(server.Server.Url);
        wait.Until(d => d.FindElement(By.TagName("body")).GetAttribute("data-ready") == "true" && d.FindElement(By.Id("atlas-canvas")).GetAttribute("data-generation") == "0");
        Assert.Contains("fashion-mnist-ae", driver.FindElement(By.Id("model-info")).Text);
        Assert.Contains("latent 16", driver.FindElement(By.Id("model-info")).Text);

        File.WriteAllText(pointer + ".tmp", "tiny-rgb\n");
        File.Move(pointer + ".tmp", pointer, overwrite: true);

        // The page polls the generation: new model facts, then the map of generation 1 once the server has made it.
        wait.Until(d => d.FindElement(By.Id("model-info")).Text.Contains("tiny-rgb", StringComparison.Ordinal));
        Assert.Contains("generation 1", driver.FindElement(By.Id("model-info")).Text);
        wait.Until(d => d.FindElement(By.Id("atlas-canvas")).GetAttribute("data-generation") == "1");
        Assert.Contains("model tiny-rgb, generation 1", driver.FindElement(By.Id("atlas-state")).Text);

        // Points now come from the new model: an 8-number latent, a thumbnail at its own size.
        var point = (IReadOnlyDictionary<string, object>)((IJavaScriptExecutor)driver).ExecuteAsyncScript(
            "const done = arguments[arguments.length - 1]; fetch('/v1/explore/points/0').then(r => r.json()).then(p => done({ dim: p.latent.length, generation: p.generation }));")!;
        Assert.Equal((8L, 1L), ((long)point["dim"], (long)point["generation"]));
        Assert.Empty(Browser.ConsoleErrors(driver));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
