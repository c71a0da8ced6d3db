namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>A class of the model's manifest: label, index, training count and latent centroid.</summary>
internal sealed record ModelClass(string? Label, int Index, int Count, IReadOnlyList<float> Centroid);
