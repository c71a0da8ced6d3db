using AeOnnx.Imaging;
using AeOnnx.Latents;
using AeOnnx.Models;
using AeOnnx.Tests.Support;
using CsCheck;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Tests.Reliability;

/// <summary>
/// CsCheck properties of the pre/post-processing and the latent math, over random inputs (CsCheck
/// shrinks a failure to a small case and prints the seed to replay it).
/// </summary>
public sealed class PropertyTests
{
    private const long Iterations = 200;

    private static readonly Gen<ImageSpec> Specs =
        Gen.Select(Gen.Int[0, 1].Select(i => 1 + (2 * i)), Gen.Int[1, 9], Gen.Int[1, 9]).SelectMany(s =>
            Gen.Select(Gen.Float[-1f, 1f].Array[s.Item1], Gen.Float[0.05f, 3f].Array[s.Item1], (mean, std) => new ImageSpec
            {
                Channels = s.Item1,
                Height = s.Item2,
                Width = s.Item3,
                Color = s.Item1 == 1 ? ImageColor.Gray : ImageColor.Rgb,
                Scale = 255f,
                Mean = mean,
                Std = std,
                Resize = ResizeMethod.Bilinear,
            }));

    [Fact]
    public void Tensor_to_image_to_tensor_round_trips_within_half_a_level()
    {
        Specs.SelectMany(spec => Gen.Float[0f, 1f].Array[spec.PixelCount].Select(pixels => (spec, pixels)))
            .Sample(
                (spec, pixels) =>
                {
                    var converter = new ImageConverter(spec);
                    var plane = spec.Height * spec.Width;
                    var tensor = pixels.Select((p, i) => (p - spec.Mean![i / plane]) / spec.Std![i / plane]).ToArray();
                    var image = converter.ToImage(tensor);
                    var back = converter.ToTensor(image);
                    for (var i = 0; i < back.Length; i++)
                    {
                        var p = converter.Denormalize(back[i], i / plane);
                        if (Math.Abs(p - pixels[i]) > (0.5 / 255) + 1e-5)
                        {
                            return false;
                        }
                    }

                    return true;
                },
                iter: Iterations);
    }

    [Fact]
    public void Normalization_is_inverted_by_denormalize_for_every_level()
    {
        Specs.SelectMany(spec => Gen.Byte.Array[spec.PixelCount].Select(levels => (spec, levels)))
            .Sample(
                (spec, levels) =>
                {
                    var converter = new ImageConverter(spec);
                    var plane = spec.Height * spec.Width;
                    using var image = new Image<Rgb24>(spec.Width, spec.Height);
                    for (var i = 0; i < plane; i++)
                    {
                        var v = levels[i];
                        image[i % spec.Width, i / spec.Width] = new Rgb24(v, v, v);
                    }

                    var tensor = converter.ToTensor(TestImages.ToImageData(image));
                    for (var i = 0; i < tensor.Length; i++)
                    {
                        if (Math.Abs((converter.Denormalize(tensor[i], i / plane) * 255f) - levels[i % plane]) > 1e-3)
                        {
                            return false;
                        }
                    }

                    return true;
                },
                iter: Iterations);
    }

    [Fact]
    public void Gray_conversion_stays_between_the_smallest_and_largest_channel()
    {
        Gen.Select(Gen.Byte, Gen.Byte, Gen.Byte).Sample(
            (r, g, b) =>
            {
                var gray = ImageConverter.GrayBt601(r, g, b);
                return gray >= Math.Min(r, Math.Min(g, b)) && gray <= Math.Max(r, Math.Max(g, b))
                    && ImageConverter.GrayBt601(r, r, r) == r;
            },
            iter: 5000);
    }

    [Fact]
    public void Gray_model_sees_rgb_images_within_channel_bounds()
    {
        var spec = new ImageSpec { Channels = 1, Height = 4, Width = 4, Color = ImageColor.Gray, Scale = 255f, Mean = [0f], Std = [1f], Resize = ResizeMethod.Bilinear, };
        var converter = new ImageConverter(spec);
        Gen.Byte.Array[48].Sample(
            rgb =>
            {
                using var image = new Image<Rgb24>(4, 4);
                for (var i = 0; i < 16; i++)
                {
                    image[i % 4, i / 4] = new Rgb24(rgb[3 * i], rgb[(3 * i) + 1], rgb[(3 * i) + 2]);
                }

                var tensor = converter.ToTensor(TestImages.ToImageData(image));
                for (var i = 0; i < 16; i++)
                {
                    var v = tensor[i] * 255f;
                    var lo = Math.Min(rgb[3 * i], Math.Min(rgb[(3 * i) + 1], rgb[(3 * i) + 2]));
                    var hi = Math.Max(rgb[3 * i], Math.Max(rgb[(3 * i) + 1], rgb[(3 * i) + 2]));
                    if (v < lo - 1e-3 || v > hi + 1e-3)
                    {
                        return false;
                    }
                }

                return true;
            },
            iter: Iterations);
    }

    private static readonly Gen<(float[] A, float[] B)> Pairs =
        Gen.Int[2, 32].SelectMany(d => Gen.Select(Gen.Float[-10f, 10f].Array[d], Gen.Float[-10f, 10f].Array[d]));

    [Fact]
    public void Slerp_hits_both_endpoints()
    {
        Pairs.Sample(
            (a, b) => Close(LatentMath.Slerp(a, b, 0f), a, 1e-4) && Close(LatentMath.Slerp(a, b, 1f), b, 1e-4),
            iter: Iterations);
    }

    [Fact]
    public void Slerp_norm_moves_linearly_between_the_endpoint_norms()
    {
        Gen.Select(Pairs, Gen.Float[0f, 1f]).Sample(
            (pair, t) =>
            {
                var (a, b) = pair;
                double na = LatentMath.Norm(a), nb = LatentMath.Norm(b);
                if (na < 1e-3 || nb < 1e-3 || Math.Abs(LatentMath.Dot(a, b) / (na * nb)) > 0.999)
                {
                    return true; // the documented linear fallback
                }

                var expected = ((1 - t) * na) + (t * nb);
                return Math.Abs(LatentMath.Norm(LatentMath.Slerp(a, b, t)) - expected) <= 1e-4 * Math.Max(1, expected);
            },
            iter: Iterations);
    }

    [Fact]
    public void Lerp_is_linear_and_symmetric()
    {
        Gen.Select(Pairs, Gen.Float[0f, 1f]).Sample(
            (pair, t) =>
            {
                var (a, b) = pair;
                var expected = a.Select((v, i) => v + (t * (b[i] - v))).ToArray();
                return Close(LatentMath.Lerp(a, b, t), expected, 1e-4) && Close(LatentMath.Lerp(a, b, t), LatentMath.Lerp(b, a, 1 - t), 1e-4);
            },
            iter: Iterations);
    }

    [Fact]
    public void Mahalanobis_is_non_negative_and_zero_at_the_mean()
    {
        Gen.Int[1, 12].SelectMany(d => Gen.Select(
                Gen.Float[-5f, 5f].Array[d],
                Gen.Float[-2f, 2f].Array[d * d],
                Gen.Float[-20f, 20f].Array[d],
                (mean, l, x) => (mean, l, x)))
            .Sample(
                (mean, l, x) =>
                {
                    var d = mean.Length;
                    var rows = Enumerable.Range(0, d).Select(i => (IReadOnlyList<float>)Enumerable.Range(0, d)
                        .Select(j => j > i ? 0f : j == i ? 0.1f + Math.Abs(l[(i * d) + j]) : l[(i * d) + j]).ToArray()).ToArray();
                    var gaussian = new LatentGaussian(mean, rows);
                    return gaussian.Mahalanobis(x) >= 0 && gaussian.Mahalanobis(mean) == 0;
                },
                iter: Iterations);
    }

    private static bool Close(float[] actual, float[] expected, double tolerance) =>
        actual.Length == expected.Length && actual.Zip(expected).All(p => Math.Abs(p.First - p.Second) <= tolerance * Math.Max(1, Math.Abs(p.Second)));
}
