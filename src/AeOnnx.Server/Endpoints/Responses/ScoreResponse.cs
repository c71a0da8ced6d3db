namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>Answer of POST /v1/score: the score that ranks and decides, the rule applied, how many images it marked, and each image.</summary>
/// <param name="Score">The score's name: mse, ssim (1 − SSIM), mahalanobis, latent_knn, neg_elbo or combined.</param>
/// <param name="Threshold">The rule; null when the model is not calibrated and none was given (no decisions).</param>
/// <param name="Anomalies">Images marked anomalous.</param>
/// <param name="Images">Per image, in request order.</param>
internal sealed record ScoreResponse(string Score, ScoreThreshold? Threshold, int Anomalies, IReadOnlyList<ScoredImage> Images);
