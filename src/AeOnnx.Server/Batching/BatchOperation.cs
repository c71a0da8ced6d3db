namespace AeOnnx.Server.Batching;

/// <summary>The graph a batched row runs through.</summary>
internal enum BatchOperation
{
    Encode,
    Decode,
}
