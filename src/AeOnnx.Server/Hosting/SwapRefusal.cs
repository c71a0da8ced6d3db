namespace AeOnnx.Server.Hosting;

/// <summary>The last model folder that was refused: the old model kept serving. Reported by /v1/model.</summary>
internal sealed record SwapRefusal(string FolderName, string Reason, DateTimeOffset At);
