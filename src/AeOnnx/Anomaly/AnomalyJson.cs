using System.Text.Json.Serialization;

namespace AeOnnx.Anomaly;

/// <summary>The manifest's <c>anomaly</c> block as it is on disk: nullable records that <see cref="AnomalyReader"/> checks.</summary>
internal static class AnomalyJson
{
    internal sealed record Block
    {
        public string? Format { get; init; }

        public string? Score { get; init; }

        public Window? Ssim { get; init; }

        public CombinedScore? Combined { get; init; }

        public double? LikelihoodSigma { get; init; }

        public References? LatentKnn { get; init; }

        public Calibration? Calibration { get; init; }

        public Dictionary<string, ScoreValues?>? Scores { get; init; }
    }

    internal sealed record Window
    {
        [JsonPropertyName("window")]
        public int? Size { get; init; }

        public double? Sigma { get; init; }

        public double? K1 { get; init; }

        public double? K2 { get; init; }

        public double? DataRange { get; init; }

        public string? Windows { get; init; }
    }

    internal sealed record CombinedScore
    {
        public Term?[]? Terms { get; init; }
    }

    internal sealed record Term
    {
        public string? Score { get; init; }

        public string? Transform { get; init; }

        public double? Mean { get; init; }

        public double? Std { get; init; }
    }

    internal sealed record References
    {
        public int? K { get; init; }

        public string? File { get; init; }

        public int? Count { get; init; }

        public int? Dim { get; init; }

        public string? Dtype { get; init; }

        public string? Sha256 { get; init; }
    }

    internal sealed record Calibration
    {
        public int? Images { get; init; }

        public string? Source { get; init; }

        public string? Quantile { get; init; }
    }

    internal sealed record ScoreValues
    {
        public double? Mean { get; init; }

        public double? Std { get; init; }

        public Quantiles? Quantiles { get; init; }

        public double[]? Sorted { get; init; }
    }

    internal sealed record Quantiles
    {
        public double[]? Levels { get; init; }

        public double[]? Values { get; init; }
    }
}
