namespace AeOnnx.Anomaly;

/// <summary>The manifest's <c>anomaly.latent_knn</c> entry as checked: the loader reads, hashes and whitens the file.</summary>
internal sealed record LatentReferencesFile(string File, string Sha256, int K, int Count, int Dim);
