namespace AeOnnx.Anomaly;

/// <summary>The one mapping between <see cref="AnomalyScore"/> values and their manifest/CLI/CSV names.</summary>
internal static class AnomalyScoreNames
{
    private static readonly string[] Names = ["mse", "ssim", "mahalanobis", "latent_knn", "neg_elbo", "combined"];

    public static IReadOnlyList<string> All => Names;

    public static string Name(this AnomalyScore score) => Names[(int)score];

    public static bool TryParse(string? name, out AnomalyScore score)
    {
        var i = Array.IndexOf(Names, name);
        score = (AnomalyScore)Math.Max(i, 0);
        return i >= 0;
    }
}
