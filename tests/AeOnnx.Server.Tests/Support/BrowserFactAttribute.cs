namespace AeOnnx.Server.Tests.Support;

/// <summary>A fact that needs Debian's chromium and chromedriver (scripts/setup-browser.sh); skipped, with the reason, where they are missing.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";
    public const string ChromeDriver = "/usr/bin/chromedriver";

    public BrowserFactAttribute()
    {
        var missing = new[] { Chromium, ChromeDriver }.Where(p => !File.Exists(p)).ToArray();
        if (missing.Length > 0)
        {
            Skip = $"no browser: {string.Join(" and ", missing)} not installed (scripts/setup-browser.sh installs Debian's chromium + chromium-driver)";
        }
    }
}
