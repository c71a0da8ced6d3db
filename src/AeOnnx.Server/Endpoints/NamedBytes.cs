namespace AeOnnx.Server.Endpoints;

/// <summary>One uploaded file: the client's name for it (for messages only) and its bytes.</summary>
internal sealed record NamedBytes(string Name, byte[] Bytes);
