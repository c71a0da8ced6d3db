namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>The last model folder refused: its name, the reason and when.</summary>
internal sealed record RefusalInfo(string Folder, string Reason, DateTimeOffset At);
