namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>One class on the map: its label, index and training count, position, centroid and thumbnail (PNG data URL).</summary>
internal sealed record MapPoint(string Label, int Index, int Count, double X, double Y, float[] Latent, string Image);
