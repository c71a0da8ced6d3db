namespace AeOnnx.Cli;

/// <summary>
/// Finds the model folder: <c>--model</c>, else <c>$AEONNX_MODEL</c>, else the shipped
/// <c>models/fashion-mnist-ae</c> in the first folder, walking up from the program's folder and from the
/// current folder, that has one.
/// </summary>
internal static class ModelLocator
{
    public const string EnvironmentVariable = "AEONNX_MODEL";
    public const string DefaultModel = "models/fashion-mnist-ae";

    public static string Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return Path.GetFullPath(option);
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, DefaultModel);
                if (File.Exists(Path.Combine(candidate, "manifest.json")))
                {
                    return candidate;
                }
            }
        }

        throw CliException.Fatal(
            $"no model: pass --model DIR or set {EnvironmentVariable}; the shipped {DefaultModel} was not found " +
            "above the program's folder or the current folder.");
    }
}
