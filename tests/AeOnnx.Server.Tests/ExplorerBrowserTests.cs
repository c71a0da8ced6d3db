using AeOnnx.Server.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace AeOnnx.Server.Tests;

/// <summary>The explorer page in a real headless Chromium: upload two sample images, interpolate, move the slider.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class ExplorerBrowserTests(ServedModelFixture fixture)
{
    [BrowserFact]
    public void Two_uploaded_images_interpolate_and_the_slider_changes_the_decoded_frame()
    {
        // The system chromedriver, named explicitly: Selenium Manager never downloads anything.
        using var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(BrowserFactAttribute.ChromeDriver)!, Path.GetFileName(BrowserFactAttribute.ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = BrowserFactAttribute.Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1400");
        using var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(60));
        var js = (IJavaScriptExecutor)driver;

        driver.Navigate().GoToUrl(fixture.Server.Server.Url);
        wait.Until(d => d.FindElement(By.TagName("body")).GetAttribute("data-ready") == "true");
        Assert.Contains("fashion-mnist-ae", driver.FindElement(By.Id("model-info")).Text);
        var centroidFrame = driver.FindElement(By.Id("interp-frame")).GetAttribute("src");

        var images = new[] { Repo.Sample("bag-00018.png"), Repo.Sample("boot-00000.png") };
        driver.FindElement(By.Id("file-input")).SendKeys(string.Join("\n", images));
        wait.Until(d => d.FindElements(By.CssSelector("#items .card")).Count == 2
            && d.FindElement(By.Id("interp-frame")).GetAttribute("src") != centroidFrame);
        Assert.Equal(string.Empty, driver.FindElement(By.Id("status")).Text);

        // Every frame of the strip, both cards' images and the big frame decoded (naturalWidth > 0).
        var allDecoded = "return Array.from(document.querySelectorAll('#interp-strip img, #items img, #interp-frame')).every(i => i.complete && i.naturalWidth > 0);";
        wait.Until(_ => (bool)js.ExecuteScript(allDecoded)!);
        Assert.Equal(9L, js.ExecuteScript("return document.querySelectorAll('#interp-strip img').length;"));
        Assert.Equal(28L * 4, js.ExecuteScript("return document.getElementById('interp-frame').naturalWidth;"));

        var slider = driver.FindElement(By.Id("interp-slider"));
        var first = driver.FindElement(By.Id("interp-frame")).GetAttribute("src");
        slider.SendKeys(Keys.End);
        wait.Until(d => d.FindElement(By.Id("interp-slider")).GetAttribute("value") == "8");
        var last = driver.FindElement(By.Id("interp-frame")).GetAttribute("src");
        Assert.NotEqual(first, last);
        wait.Until(_ => (bool)js.ExecuteScript("const i = document.getElementById('interp-frame'); return i.complete && i.naturalWidth > 0;")!);

        slider.SendKeys(Keys.ArrowLeft);
        wait.Until(d => d.FindElement(By.Id("interp-slider")).GetAttribute("value") == "7");
        var seventh = driver.FindElement(By.Id("interp-frame")).GetAttribute("src");
        Assert.NotEqual(last, seventh);
        Assert.Equal(seventh, js.ExecuteScript("return document.querySelectorAll('#interp-strip img')[7].src;"));

        // AEONNX_EXPLORER_SCREENSHOT=path.png keeps a picture of the page in this state (docs/images/explorer.png).
        if (Environment.GetEnvironmentVariable("AEONNX_EXPLORER_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            driver.Manage().Window.Size = new System.Drawing.Size(1400, 1200);
            slider.SendKeys(Keys.Home + Keys.ArrowRight + Keys.ArrowRight + Keys.ArrowRight + Keys.ArrowRight);
            ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(screenshot);
        }
    }
}
