namespace AeOnnx;

/// <summary>Reconstruction quality of one image, measured in [0,1] pixel space.</summary>
/// <param name="Mse">Mean squared error between input and reconstruction, both in [0,1] pixel space.</param>
/// <param name="Psnr">Peak signal-to-noise ratio in dB, <c>10·log10(1 / mse)</c>; +∞ for a perfect reconstruction.</param>
public readonly record struct ReconstructionError(double Mse, double Psnr)
{
    /// <summary>Builds the value from an MSE in [0,1] pixel space.</summary>
    /// <param name="mse">Mean squared error, 0 or more.</param>
    /// <returns>The MSE with its PSNR.</returns>
    public static ReconstructionError FromMse(double mse) =>
        new(mse, mse > 0 ? 10.0 * Math.Log10(1.0 / mse) : double.PositiveInfinity);
}
