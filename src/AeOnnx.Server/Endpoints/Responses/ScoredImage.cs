namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>One scored image.</summary>
/// <param name="Name">The part's file name (or "image" for a raw body).</param>
/// <param name="Score">Its value of the response's score.</param>
/// <param name="Anomalous">Above the threshold; null without one.</param>
/// <param name="Scores">Every score the model defines for it, by name (mse, ssim, mahalanobis, latent_knn, neg_elbo, combined).</param>
/// <param name="Heatmap">With ?heatmap=true: a PNG data URL of the image, its reconstruction and the error overlaid; else null.</param>
internal sealed record ScoredImage(string Name, double Score, bool? Anomalous, IReadOnlyDictionary<string, double> Scores, string? Heatmap);
