using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AeOnnx.Anomaly;
using AeOnnx.Models;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Anomaly;

/// <summary>
/// The latent_knn score against distances computed here another way: the squared Mahalanobis form
/// (a − b)ᵀ (L·Lᵀ)⁻¹ (a − b) with the inverse by Gauss-Jordan elimination, over every reference, sorted.
/// The references are the fixture model's own latents of its first normal images, written as the
/// manifest's reference file into a copy of the model.
/// </summary>
public sealed class LatentKnnTests
{
    private const int References = 40;

    private static (TempFolder Folder, float[][] Latents) ModelWithReferences(int k, Action<JsonObject, byte[]>? tamper = null)
    {
        var temp = new TempFolder();
        foreach (var f in Directory.GetFiles(OneClassFixture.Model))
        {
            File.Copy(f, temp.File(Path.GetFileName(f)));
        }

        float[][] latents;
        using (var model = Autoencoder.Load(OneClassFixture.Model, TestModels.CpuOptions()))
        {
            latents = OneClassFixture.Images("normal").Take(References).Select(p => model.Encode(p)).ToArray();
        }

        var dim = latents[0].Length;
        var bytes = new byte[References * dim * sizeof(float)];
        for (var i = 0; i < References; i++)
        {
            for (var j = 0; j < dim; j++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(((i * dim) + j) * sizeof(float)), latents[i][j]);
            }
        }

        var manifest = TestModels.ReadManifest(temp.Path);
        var anomaly = manifest["anomaly"]!.AsObject();
        anomaly["latent_knn"] = new JsonObject
        {
            ["k"] = k,
            ["file"] = "reference-latents.bin",
            ["count"] = References,
            ["dim"] = dim,
            ["dtype"] = "float32",
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)),
        };
        tamper?.Invoke(anomaly, bytes);
        File.WriteAllBytes(temp.File("reference-latents.bin"), bytes);
        File.WriteAllText(temp.File("manifest.json"), manifest.ToJsonString());
        return (temp, latents);
    }

    private static double[,] Inverse(double[,] m)
    {
        var n = m.GetLength(0);
        var a = new double[n, 2 * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                a[i, j] = m[i, j];
            }

            a[i, n + i] = 1;
        }

        for (var c = 0; c < n; c++)
        {
            var pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(a[r, c]));
            for (var j = 0; j < 2 * n; j++)
            {
                (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            }

            var p = a[c, c];
            for (var j = 0; j < 2 * n; j++)
            {
                a[c, j] /= p;
            }

            for (var r = 0; r < n; r++)
            {
                if (r != c && a[r, c] != 0)
                {
                    var f = a[r, c];
                    for (var j = 0; j < 2 * n; j++)
                    {
                        a[r, j] -= f * a[c, j];
                    }
                }
            }
        }

        var inv = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                inv[i, j] = a[i, n + j];
            }
        }

        return inv;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void The_score_is_the_mean_distance_to_the_k_nearest_references_under_the_latent_covariance(int k)
    {
        var (temp, references) = ModelWithReferences(k);
        using (temp)
        {
            using var model = Autoencoder.Load(temp.Path, TestModels.CpuOptions());
            Assert.Equal(k, model.Manifest.Anomaly!.Neighbours!.K);
            var l = model.Manifest.Latent.Cholesky!;
            var d = l.Count;
            var covariance = new double[d, d];
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    for (var t = 0; t < d; t++)
                    {
                        covariance[i, j] += (double)l[i][t] * l[j][t];
                    }
                }
            }

            var inverse = Inverse(covariance);
            var images = OneClassFixture.Images("normal").Take(3).Concat(OneClassFixture.Images("normal").Skip(References).Take(5)).Concat(OneClassFixture.Images("anomalous").Take(12));
            foreach (var path in images)
            {
                var result = model.ScoreAnomaly(path);
                var z = model.Encode(path);
                var expected = references.Select(r =>
                {
                    var s = 0.0;
                    for (var i = 0; i < d; i++)
                    {
                        for (var j = 0; j < d; j++)
                        {
                            s += ((double)z[i] - r[i]) * inverse[i, j] * ((double)z[j] - r[j]);
                        }
                    }

                    return Math.Sqrt(Math.Max(s, 0));
                }).Order().Take(k).Average();
                Assert.True(Math.Abs(result.Scores[AnomalyScore.LatentKnn] - expected) <= 1e-6 + (1e-6 * expected), $"{path}: {result.Scores[AnomalyScore.LatentKnn]} vs {expected}");
            }

            // an image among the references is at distance 0 from itself (its nearest, when k is 1)
            if (k == 1)
            {
                Assert.Equal(0.0, model.ScoreAnomaly(OneClassFixture.Images("normal")[0]).Scores[AnomalyScore.LatentKnn], 6);
            }
        }
    }

    [Fact]
    public void A_model_without_references_has_no_latent_knn_score()
    {
        using var model = Autoencoder.Load(OneClassFixture.Model, TestModels.CpuOptions());
        Assert.Null(model.Manifest.Anomaly!.Neighbours);
        Assert.False(model.ScoreAnomaly(OneClassFixture.Images("normal")[0]).Scores.ContainsKey(AnomalyScore.LatentKnn));
    }

    [Theory]
    [InlineData("hash", "anomaly.latent_knn.sha256")]
    [InlineData("short", "anomaly.latent_knn.file")]
    [InlineData("dim", "anomaly.latent_knn.dim")]
    [InlineData("outside", "anomaly.latent_knn.file")]
    [InlineData("k", "anomaly.latent_knn.k")]
    [InlineData("no-entry", "anomaly.latent_knn")]
    public void A_wrong_reference_entry_or_file_is_refused_naming_the_field(string what, string field)
    {
        var (temp, _) = ModelWithReferences(1, (anomaly, bytes) =>
        {
            var entry = anomaly["latent_knn"]!.AsObject();
            switch (what)
            {
                case "hash":
                    bytes[5] ^= 1;
                    break;
                case "short":
                    entry["count"] = References - 1;
                    break;
                case "dim":
                    entry["dim"] = 4;
                    entry["count"] = References * (bytes.Length / sizeof(float) / References) / 4;
                    break;
                case "outside":
                    entry["file"] = "../reference-latents.bin";
                    break;
                case "k":
                    entry["k"] = References + 1;
                    break;
                case "no-entry":
                    anomaly.Remove("latent_knn");
                    anomaly["combined"]!["terms"]!.AsArray().Add(new JsonObject { ["score"] = "latent_knn", ["transform"] = "identity", ["mean"] = 1.0, ["std"] = 1.0 });
                    break;
            }
        });
        using (temp)
        {
            var error = Assert.Throws<ModelLoadException>(() => Autoencoder.Load(temp.Path, TestModels.CpuOptions()).Dispose());
            Assert.Equal(field, error.Field);
        }
    }
}
