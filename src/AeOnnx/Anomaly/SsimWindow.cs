namespace AeOnnx.Anomaly;

/// <summary>The SSIM score's Gaussian window and constants (<c>anomaly.ssim</c>; data range 1, valid windows only).</summary>
public sealed record SsimWindow
{
    /// <summary>Window side in pixels (shrinks to the image's smaller side when larger).</summary>
    public required int Size { get; init; }

    /// <summary>σ of the Gaussian weights.</summary>
    public required double Sigma { get; init; }

    /// <summary>K1 (C1 = K1²).</summary>
    public required double K1 { get; init; }

    /// <summary>K2 (C2 = K2²).</summary>
    public required double K2 { get; init; }
}
