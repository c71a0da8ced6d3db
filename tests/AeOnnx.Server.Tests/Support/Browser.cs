using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Chromium;

namespace AeOnnx.Server.Tests.Support;

/// <summary>Debian's headless Chromium through the system chromedriver (Selenium Manager never downloads anything), with the browser's console log kept.</summary>
internal static class Browser
{
    public static ChromeDriver Start(int width, int height, bool phone = false)
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(BrowserFactAttribute.ChromeDriver)!, Path.GetFileName(BrowserFactAttribute.ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = BrowserFactAttribute.Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--window-size={width},{height}");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        if (phone)
        {
            // A phone's viewport: CSS width and height, device pixel ratio 3, touch, mobile user agent.
            options.EnableMobileEmulation(new ChromiumMobileEmulationDeviceSettings { Width = width, Height = height, PixelRatio = 3, EnableTouchEvents = true, UserAgent = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36" });
        }

        return new ChromeDriver(service, options, TimeSpan.FromSeconds(90));
    }

    /// <summary>Console messages of level SEVERE (errors, failed loads) since the last call.</summary>
    public static string[] ConsoleErrors(IWebDriver driver) =>
        driver.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level == LogLevel.Severe).Select(e => e.Message).ToArray();

    /// <summary>Where screenshots go: $AEONNX_EXPLORER_SCREENSHOTS, else a folder under the temp directory.</summary>
    public static string ScreenshotPath(string name)
    {
        var folder = Environment.GetEnvironmentVariable("AEONNX_EXPLORER_SCREENSHOTS") is { Length: > 0 } chosen ? chosen : Path.Combine(Path.GetTempPath(), "aeonnx-explorer-screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }
}
