using System.Diagnostics;

namespace AeOnnx.Tests.Support;

/// <summary>
/// A fact that needs the training side's Python (numpy + Pillow, to run <c>training-scripts/data.py</c>);
/// skipped with the reason when no such interpreter is found. <c>AEONNX_PYTHON</c> overrides the search.
/// </summary>
public sealed class PythonFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Found = new(Find);

    public PythonFactAttribute()
    {
        if (Found.Value is null)
        {
            Skip = "no Python with numpy and Pillow found (tried $AEONNX_PYTHON, /usr/bin/python3, python3): the cross-language preprocessing check needs data.py";
        }
    }

    /// <summary>The interpreter to use, or null.</summary>
    public static string? Interpreter => Found.Value;

    private static string? Find()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("AEONNX_PYTHON"), "/usr/bin/python3", "python3" };
        foreach (var candidate in candidates.Where(c => !string.IsNullOrEmpty(c)))
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(candidate!, ["-c", "import numpy, PIL.Image"]) { RedirectStandardError = true, RedirectStandardOutput = true });
                if (process is not null && process.WaitForExit(60_000) && process.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under that name.
            }
        }

        return null;
    }
}
