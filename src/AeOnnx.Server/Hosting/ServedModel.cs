namespace AeOnnx.Server.Hosting;

/// <summary>What identifies the model that served a response: sent in the response headers and in /v1/model.</summary>
internal sealed record ServedModel(string Name, string Kind, string EncoderSha256, string DecoderSha256, int Generation, string FolderName, DateTimeOffset LoadedAt)
{
    /// <summary>The folder's full path (never sent to clients).</summary>
    public string FullFolder { get; init; } = string.Empty;

    /// <summary>The graphs' and the manifest's checksums: equal content means the same model.</summary>
    public string Content { get; init; } = string.Empty;
}
