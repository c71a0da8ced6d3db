using System.Globalization;
using AeOnnx.Server.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Interactions;
using OpenQA.Selenium.Support.UI;
using Xunit.Abstractions;

namespace AeOnnx.Server.Tests;

/// <summary>One server whose explorer maps 10,000 images (a synthetic Fashion-MNIST-like IDX set).</summary>
public sealed class TenThousandPointFixture : IAsyncLifetime
{
    public const int Count = 10_000;
    private readonly string _folder = Directory.CreateTempSubdirectory("aeonnx-map-").FullName;

    internal TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (new BrowserFactAttribute().Skip is not null)
        {
            return;
        }

        using var core = Autoencoder.Load(Repo.Model("fashion-mnist-ae"), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });
        var (file, _, _) = ExploreData.WriteIdx(_folder, Count, core);
        Server = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"), o => o.ExplorePath = file);
        await ExploreData.WaitForMapAsync(Server.Client);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>
/// The map of thousands of images in a real headless Chromium, at a desktop width and at a 375 px phone
/// width: drawn, hover thumbnails, every point and control reachable by keyboard with a name, two picks
/// interpolate, neighbours of an upload, the error heatmap, no horizontal scrolling, no console errors.
/// </summary>
[Collection(ExplorerCollection.Name)]
public sealed class ExplorerMapBrowserTests(TenThousandPointFixture fixture, ITestOutputHelper output) : IClassFixture<TenThousandPointFixture>
{
    private const string AllDecoded = "return Array.from(document.querySelectorAll(arguments[0])).every(i => i.complete && i.naturalWidth > 0);";

    [BrowserFact]
    public void At_desktop_width_the_map_of_10000_points_hovers_navigates_interpolates_and_finds_neighbours()
    {
        using var driver = Browser.Start(1400, 1100);
        var (wait, js) = Open(driver);

        // Hover: the pointer over a point shows that point's image and name.
        var canvas = driver.FindElement(By.Id("atlas-canvas"));
        var target = (IReadOnlyList<object>)js.ExecuteScript("const a = state.atlas.state; const i = a.order[Math.floor(a.order.length / 2)]; return [a.screen[2 * i], a.screen[2 * i + 1], canvas().clientWidth, canvas().clientHeight]; function canvas() { return document.getElementById('atlas-canvas'); }")!;
        var (x, y, w, h) = (Convert.ToDouble(target[0], CultureInfo.InvariantCulture), Convert.ToDouble(target[1], CultureInfo.InvariantCulture), Convert.ToDouble(target[2], CultureInfo.InvariantCulture), Convert.ToDouble(target[3], CultureInfo.InvariantCulture));
        new Actions(driver).MoveToElement(canvas, (int)(x - (w / 2)), (int)(y - (h / 2))).Perform();
        wait.Until(d => d.FindElement(By.Id("atlas-tip")).Displayed && (bool)js.ExecuteScript(AllDecoded, "#atlas-tip-image")! && d.FindElement(By.Id("atlas-tip-image")).GetAttribute("src")!.StartsWith("data:image/png", StringComparison.Ordinal));
        Assert.StartsWith("point ", driver.FindElement(By.Id("atlas-tip-text")).Text, StringComparison.Ordinal);

        // Keyboard: Tab reaches the map; the arrows walk every point in left-to-right order, each announced by name.
        TabTo(driver, "atlas-canvas");
        wait.Until(d => d.FindElement(By.Id("atlas-current")).Text.EndsWith($"(1 of {TenThousandPointFixture.Count} from the left)", StringComparison.Ordinal));
        canvas.SendKeys(Keys.ArrowRight);
        wait.Until(d => d.FindElement(By.Id("atlas-current")).Text.EndsWith($"(2 of {TenThousandPointFixture.Count} from the left)", StringComparison.Ordinal));
        Assert.Matches(@"^point \d+: (T-shirt/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot), #\d+ ", driver.FindElement(By.Id("atlas-current")).Text);
        Assert.Equal(true, js.ExecuteScript("const a = state.atlas.state; const seen = new Set(a.order); return a.order.length === 10000 && seen.size === 10000;"));
        canvas.SendKeys(Keys.End);
        wait.Until(d => d.FindElement(By.Id("atlas-current")).Text.EndsWith($"({TenThousandPointFixture.Count} of {TenThousandPointFixture.Count} from the left)", StringComparison.Ordinal));

        // Two picks (Enter) interpolate between their latents.
        var before = driver.FindElement(By.Id("interp-frame")).GetAttribute("src");
        canvas.SendKeys(Keys.Enter);
        canvas.SendKeys(Keys.Home);
        canvas.SendKeys(Keys.Enter);
        wait.Until(d => d.FindElement(By.Id("interp-from")).Text.Contains(" → ", StringComparison.Ordinal) && d.FindElement(By.Id("interp-frame")).GetAttribute("src") != before);
        wait.Until(_ => (bool)js.ExecuteScript(AllDecoded, "#interp-strip img, #interp-frame")!);

        // The go-to box jumps to any point by its index.
        var go = driver.FindElement(By.Id("atlas-goto-index"));
        go.Clear();
        go.SendKeys("4321" + Keys.Enter);
        wait.Until(d => d.FindElement(By.Id("atlas-current")).Text.StartsWith("point 4321: ", StringComparison.Ordinal));

        // Neighbours of an uploaded image: a sample that is itself in the set comes first, at distance 0; its card shows the error heatmap.
        driver.FindElement(By.Id("atlas-file")).SendKeys(Repo.Sample("bag-00018.png"));
        wait.Until(d => d.FindElements(By.CssSelector("#atlas-neighbors button")).Count == 8 && (bool)js.ExecuteScript(AllDecoded, "#atlas-neighbors img")!);
        Assert.Matches(@"^neighbour 1: Bag, #0, latent distance 0\.000$", driver.FindElement(By.CssSelector("#atlas-neighbors button")).GetAttribute("aria-label"));
        wait.Until(d => d.FindElements(By.CssSelector("#items .card img.heatmap")).Count == 1 && (bool)js.ExecuteScript(AllDecoded, "#items .card img")!);
        Assert.Equal(28L * 2, js.ExecuteScript("return document.querySelector('#items .card img.heatmap').naturalWidth;"));
        // The card shows the service's anomaly score (/v1/score; this model is not calibrated, so MSE and no decision).
        using (var core = Autoencoder.Load(Repo.Model("fashion-mnist-ae"), new AutoencoderOptions { Device = Device.Cpu }))
        {
            var mse = core.Reconstruct(Repo.Sample("bag-00018.png")).Error.Mse;
            var shown = driver.FindElement(By.CssSelector("#items .card .score")).Text;
            Assert.StartsWith("mse ", shown, StringComparison.Ordinal);
            Assert.Equal(mse, double.Parse(shown[4..], CultureInfo.InvariantCulture), mse * 1e-3);
        }

        Assert.Equal(string.Empty, driver.FindElement(By.Id("status")).Text);

        CheckPage(driver, js, "explorer-desktop.png");
    }

    [BrowserFact]
    public void At_375_px_the_page_fits_without_horizontal_scrolling_and_the_map_works_by_keyboard()
    {
        using var driver = Browser.Start(375, 812, phone: true);
        var (wait, js) = Open(driver);
        Assert.True(375L == (long)js.ExecuteScript("return window.innerWidth;")!, "the layout viewport grew past 375 px: " + Overflow(js, 375));
        var canvasWidth = Convert.ToDouble(js.ExecuteScript("return document.getElementById('atlas-canvas').getBoundingClientRect().width;"), CultureInfo.InvariantCulture);
        Assert.InRange(canvasWidth, 250, 375);

        TabTo(driver, "atlas-canvas");
        var canvas = driver.FindElement(By.Id("atlas-canvas"));
        canvas.SendKeys(Keys.PageDown);
        wait.Until(d => d.FindElement(By.Id("atlas-current")).Text.EndsWith($"(101 of {TenThousandPointFixture.Count} from the left)", StringComparison.Ordinal));
        wait.Until(d => d.FindElement(By.Id("atlas-tip")).Displayed && (bool)js.ExecuteScript(AllDecoded, "#atlas-tip-image")!);

        driver.FindElement(By.Id("file-input")).SendKeys(Repo.Sample("boot-00000.png") + "\n" + Repo.Sample("sandal-00008.png"));
        wait.Until(d => d.FindElements(By.CssSelector("#items .card")).Count == 2 && (bool)js.ExecuteScript(AllDecoded, "#items .card img, #interp-strip img")!);
        CheckPage(driver, js, "explorer-phone.png");
    }

    private (WebDriverWait Wait, IJavaScriptExecutor Js) Open(ChromeDriver driver)
    {
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(90));
        var js = (IJavaScriptExecutor)driver;
        driver.Navigate().GoToUrl(fixture.Server.Server.Url);
        wait.Until(d => d.FindElement(By.TagName("body")).GetAttribute("data-ready") == "true"
            && d.FindElement(By.TagName("body")).GetAttribute("data-atlas-points") == TenThousandPointFixture.Count.ToString(CultureInfo.InvariantCulture));

        // The first render of the map, measured in the page from navigation start (performance.now at the first draw).
        var body = driver.FindElement(By.TagName("body"));
        output.WriteLine($"first render of the {TenThousandPointFixture.Count}-point map: drawn {body.GetAttribute("data-atlas-drawn-ms")} ms after navigation start; the draw itself (layout, index, paint) {body.GetAttribute("data-atlas-draw-ms")} ms");

        // Drawn: thousands of canvas pixels differ from the background.
        var painted = Convert.ToInt64(js.ExecuteScript("""
            const c = document.getElementById('atlas-canvas');
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let p = 0; p < data.length; p += 4) if (data[p] !== 0x10 || data[p + 1] !== 0x12 || data[p + 2] !== 0x16) n++;
            return n;
            """), CultureInfo.InvariantCulture);
        Assert.True(painted > 5000, $"only {painted} map pixels drawn");
        return (wait, js);
    }

    /// <summary>Tab from the top of the page until <paramref name="id"/> has the focus: it is reachable by keyboard.</summary>
    private static void TabTo(IWebDriver driver, string id)
    {
        var js = (IJavaScriptExecutor)driver;
        js.ExecuteScript("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);");
        for (var press = 0; press < 40; press++)
        {
            new Actions(driver).SendKeys(Keys.Tab).Perform();
            if ((string?)js.ExecuteScript("return document.activeElement && document.activeElement.id;") == id)
            {
                return;
            }
        }

        Assert.Fail($"#{id} was not reached in 40 Tab presses");
    }

    /// <summary>The page's scroll width against the viewport's, and the first elements reaching past it.</summary>
    private static string Overflow(IJavaScriptExecutor js, int? width) => (string)js.ExecuteScript(
        """
        const width = arguments[0] || document.documentElement.clientWidth;
        const wide = Array.from(document.querySelectorAll('body *')).filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 0.5 && !e.parentElement.closest('.strip'); });
        return document.documentElement.scrollWidth + ' / ' + width + ': ' + wide.slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ');
        """,
        width)!;

    /// <summary>Whole-page checks: no horizontal scrolling, a name for every control, no console errors, a screenshot.</summary>
    private void CheckPage(ChromeDriver driver, IJavaScriptExecutor js, string screenshot)
    {
        var overflow = Overflow(js, null);
        Assert.True(Convert.ToInt64(js.ExecuteScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth;"), CultureInfo.InvariantCulture) <= 0, $"horizontal scrolling: {overflow}");

        var controls = driver.FindElements(By.CssSelector("a[href], button, input, select, textarea, canvas, [tabindex]")).Where(e => e.Displayed).ToArray();
        Assert.True(controls.Length > 20, $"only {controls.Length} controls found");
        foreach (var control in controls)
        {
            Assert.True(((WebElement)control).ComputedAccessibleLabel.Trim().Length > 0, $"<{control.TagName} id='{control.GetAttribute("id")}' class='{control.GetAttribute("class")}'> has no accessible name");
            Assert.True(Convert.ToInt64(js.ExecuteScript("return arguments[0].tabIndex;", control), CultureInfo.InvariantCulture) >= 0, $"<{control.TagName} id='{control.GetAttribute("id")}'> is not in the tab order");
        }

        Assert.Empty(Browser.ConsoleErrors(driver));
        var path = Browser.ScreenshotPath(screenshot);
        driver.GetScreenshot().SaveAsFile(path);
        output.WriteLine($"screenshot: {path}");
    }
}
