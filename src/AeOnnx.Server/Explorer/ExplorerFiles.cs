using Microsoft.AspNetCore.Http;

namespace AeOnnx.Server.Explorer;

/// <summary>Serves the explorer page's files, embedded in this assembly (a fixed list: no path from a request reaches a file system).</summary>
internal static class ExplorerFiles
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["explorer.js"] = "text/javascript; charset=utf-8",
        ["atlas.js"] = "text/javascript; charset=utf-8",
        ["explorer.css"] = "text/css; charset=utf-8",
        ["favicon.svg"] = "image/svg+xml",
    };

    private static readonly Dictionary<string, byte[]> Cache = Types.Keys.ToDictionary(name => name, Load, StringComparer.Ordinal);

    public static IResult Serve(string name) =>
        Cache.TryGetValue(name, out var bytes)
            ? Results.Bytes(bytes, Types[name])
            : throw new ApiException(404, "Not found", $"The explorer has no file '{name}'.");

    private static byte[] Load(string name)
    {
        using var stream = typeof(ExplorerFiles).Assembly.GetManifestResourceStream("explorer/" + name)
            ?? throw new InvalidOperationException($"Embedded explorer file '{name}' is missing from the build.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
