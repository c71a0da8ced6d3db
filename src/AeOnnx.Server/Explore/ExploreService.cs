using System.Diagnostics;
using AeOnnx.Imaging;
using AeOnnx.Latents;
using AeOnnx.Server.Endpoints;
using AeOnnx.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Server.Explore;

/// <summary>
/// Keeps the explorer's map of the <c>--explore</c> set current: when the served model's generation
/// changes (at start, after each swap) it encodes the set with that model and projects it once (PCA and
/// the UMAP-style <see cref="NeighborEmbedding"/>); requests read the finished <see cref="ExploreMap"/>.
/// One computation at a time, on the service's own thread, dropped as soon as a newer generation is served.
/// </summary>
internal sealed class ExploreService : BackgroundService
{
    private const int EncodeBatch = 64;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private readonly ModelService _models;
    private readonly ILogger _logger;
    private ExploreMap? _map;
    private ExploreProgress _progress = new(-1, 0, 0, null);

    public ExploreService(ModelService models, ExploreSet? set, ILogger<ExploreService> logger)
    {
        _models = models;
        _logger = logger;
        Set = set;
    }

    /// <summary>The set, or null when the server runs without <c>--explore</c>.</summary>
    public ExploreSet? Set { get; }

    /// <summary>The latest finished map (possibly of an older generation while a newer one is computed).</summary>
    public ExploreMap? Map => Volatile.Read(ref _map);

    /// <summary>What is being computed now: generation (-1: nothing yet), images encoded of how many, last failure.</summary>
    public ExploreProgress Progress => Volatile.Read(ref _progress);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Set is null)
        {
            return;
        }

        // Off the host's start path: the first map is computed while the server already answers.
        await Task.Yield();
        var failedGeneration = -1;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_models.IsReady)
            {
                var generation = _models.Current.Generation;
                if (Map?.Generation != generation && failedGeneration != generation)
                {
                    try
                    {
                        var map = await Task.Run(() => Compute(stoppingToken), stoppingToken);
                        if (map is not null)
                        {
                            Volatile.Write(ref _map, map);
                            _logger.LogInformation("explore map ready: {Count} images of {Source} under {Model} generation {Generation} (encode {Encode} ms, projections {Project} ms)", map.Count, Set.Source, map.ModelName, map.Generation, (int)map.EncodeTime.TotalMilliseconds, (int)map.ProjectTime.TotalMilliseconds);
                        }
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // A newer generation arrived mid-way: the loop starts over with it.
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        failedGeneration = generation;
                        Volatile.Write(ref _progress, Progress with { Failure = e.Message });
                        _logger.LogWarning(e, "explore map failed for generation {Generation}", generation);
                    }
                }
            }

            try
            {
                await Task.Delay(Poll, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private ExploreMap? Compute(CancellationToken stoppingToken)
    {
        var set = Set!;
        using var lease = _models.Acquire();
        var model = lease.Model;
        var generation = _models.IdentityOf(model).Generation;

        // Stop as soon as a newer model is served: this lease keeps the old sessions alive until then.
        using var swapped = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var token = swapped.Token;
        void CheckCurrent()
        {
            if (_models.Current.Generation != generation)
            {
                swapped.Cancel();
            }

            token.ThrowIfCancellationRequested();
        }

        Volatile.Write(ref _progress, new ExploreProgress(generation, 0, set.Count, null));
        var clock = Stopwatch.StartNew();
        var dim = model.LatentDim;
        var items = new List<int>(set.Count);
        var latents = new List<float>(set.Count * dim);
        var batch = new float[EncodeBatch * model.PixelCount];
        var batchItems = new List<int>(EncodeBatch);
        var skipped = 0;
        for (var start = 0; start < set.Count; start += EncodeBatch)
        {
            CheckCurrent();
            batchItems.Clear();
            for (var i = start; i < Math.Min(set.Count, start + EncodeBatch); i++)
            {
                try
                {
                    set.Tensor(model, i).CopyTo(batch.AsSpan(batchItems.Count * model.PixelCount));
                    batchItems.Add(i);
                }
                catch (ImageLoadException)
                {
                    skipped++;
                }
            }

            var encoded = model.EncodeTensor(batch.AsSpan(0, batchItems.Count * model.PixelCount));
            for (var b = 0; b < batchItems.Count; b++)
            {
                var latent = encoded.AsSpan(b * dim, dim);
                if (LatentMath.IndexOfNonFinite(latent) >= 0)
                {
                    skipped++;
                    continue;
                }

                items.Add(batchItems[b]);
                latents.AddRange(latent);
            }

            Volatile.Write(ref _progress, new ExploreProgress(generation, start + batchItems.Count, set.Count, null));
        }

        var encodeTime = clock.Elapsed;
        if (items.Count == 0)
        {
            throw new InvalidOperationException($"None of the {set.Count} images of '{set.Source}' could be encoded by model '{model.Name}'.");
        }

        CheckCurrent();
        clock.Restart();
        var flat = latents.ToArray();
        var count = items.Count;
        var rows = Enumerable.Range(0, count).Select(p => flat.AsSpan(p * dim, dim).ToArray()).ToArray();
        var pca = LatentPca.Fit(rows);
        var pcaLayout = new float[count * 2];
        for (var p = 0; p < count; p++)
        {
            var (x, y) = pca.Project(rows[p]);
            pcaLayout[2 * p] = (float)x;
            pcaLayout[(2 * p) + 1] = (float)y;
        }

        var umapLayout = NeighborEmbedding.Fit(flat, count, dim, pcaLayout, seed: 0, token);
        return new ExploreMap(generation, model.Name, dim, [.. items], flat, pca, pcaLayout, umapLayout, LabelNames(set, model), skipped, encodeTime, clock.Elapsed);
    }

    /// <summary>A folder's subfolder names; for an IDX set, the model's class labels by class number ("class N" where the manifest has none).</summary>
    private static string[] LabelNames(ExploreSet set, Autoencoder model)
    {
        if (set.LabelNames is { } names)
        {
            return [.. names];
        }

        var count = set.Labels.Count == 0 ? 0 : set.Labels.Max() + 1;
        return Enumerable.Range(0, count)
            .Select(n => model.Classes.FirstOrDefault(c => c.Index == n)?.Label is { Length: > 0 } label ? label : $"class {n}")
            .ToArray();
    }
}
