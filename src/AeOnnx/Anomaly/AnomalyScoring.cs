using AeOnnx.Imaging;

namespace AeOnnx.Anomaly;

/// <summary>
/// The score definitions of docs/MODEL-FORMAT.md (anomaly) over one image's input and reconstruction
/// tensors; training-scripts/aeonnx_training/anomaly.py computes the same numbers in Python.
/// </summary>
internal static class AnomalyScoring
{
    /// <summary>The SSIM window a model without calibration is scored with (the calibration's default too).</summary>
    public static readonly SsimWindow DefaultSsim = new() { Size = 7, Sigma = 1.5, K1 = 0.01, K2 = 0.03 };

    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>Squared error per pixel in [0,1] space, averaged over channels: Height × Width values.</summary>
    public static float[] ErrorMap(ImageConverter images, ReadOnlySpan<float> input, ReadOnlySpan<float> output)
    {
        var plane = images.Height * images.Width;
        var map = new double[plane];
        for (var i = 0; i < input.Length; i++)
        {
            var c = i / plane;
            var d = (double)images.Denormalize(input[i], c) - images.Denormalize(output[i], c);
            map[i % plane] += d * d;
        }

        var result = new float[plane];
        for (var p = 0; p < plane; p++)
        {
            result[p] = (float)(map[p] / images.Channels);
        }

        return result;
    }

    /// <summary>1 − SSIM(r, x): Gaussian window, valid positions, mean over channels and positions, data range 1.</summary>
    public static double OneMinusSsim(ImageConverter images, ReadOnlySpan<float> input, ReadOnlySpan<float> output, SsimWindow window)
    {
        int h = images.Height, w = images.Width, plane = h * w;
        var size = Math.Min(window.Size, Math.Min(h, w));
        var g = new double[size];
        var sum = 0.0;
        for (var i = 0; i < size; i++)
        {
            var r = i - ((size - 1) / 2.0);
            g[i] = Math.Exp(-(r * r) / (2 * window.Sigma * window.Sigma));
            sum += g[i];
        }

        for (var i = 0; i < size; i++)
        {
            g[i] /= sum;
        }

        double c1 = window.K1 * window.K1, c2 = window.K2 * window.K2;
        var a = new double[plane];
        var b = new double[plane];
        var total = 0.0;
        int rows = h - size + 1, cols = w - size + 1;
        for (var c = 0; c < images.Channels; c++)
        {
            for (var p = 0; p < plane; p++)
            {
                a[p] = images.Denormalize(output[(c * plane) + p], c);
                b[p] = images.Denormalize(input[(c * plane) + p], c);
            }

            for (var y = 0; y < rows; y++)
            {
                for (var x = 0; x < cols; x++)
                {
                    double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
                    for (var dy = 0; dy < size; dy++)
                    {
                        var row = (y + dy) * w;
                        for (var dx = 0; dx < size; dx++)
                        {
                            var k = g[dy] * g[dx];
                            double va = a[row + x + dx], vb = b[row + x + dx];
                            ma += k * va;
                            mb += k * vb;
                            saa += k * va * va;
                            sbb += k * vb * vb;
                            sab += k * va * vb;
                        }
                    }

                    saa -= ma * ma;
                    sbb -= mb * mb;
                    sab -= ma * mb;
                    total += ((2 * ma * mb) + c1) * ((2 * sab) + c2) / (((ma * ma) + (mb * mb) + c1) * (saa + sbb + c2));
                }
            }
        }

        return 1.0 - (total / (images.Channels * rows * cols));
    }

    /// <summary>A VAE's −ELBO at z = mean in nats: Σ(r − x)² / (2σ²) + D·(ln σ + ½ ln 2π) + KL(N(mean, e^logvar) ‖ N(0, I)).</summary>
    public static double NegativeElbo(double mse, int values, double sigma, ReadOnlySpan<float> mean, ReadOnlySpan<float> logVariance)
    {
        var logSigma = Math.Log(sigma);
        var nll = (0.5 * mse * values * Math.Exp(-2 * logSigma)) + (values * (logSigma + HalfLog2Pi));
        var kl = 0.0;
        for (var j = 0; j < mean.Length; j++)
        {
            double m = mean[j], lv = logVariance[j];
            kl += 1 + lv - (m * m) - Math.Exp(lv);
        }

        return nll - (0.5 * kl);
    }
}
