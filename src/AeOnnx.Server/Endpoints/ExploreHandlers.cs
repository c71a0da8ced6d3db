using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using AeOnnx.Server.Batching;
using AeOnnx.Server.Endpoints.Explore;
using AeOnnx.Server.Explore;
using AeOnnx.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AeOnnx.Server.Endpoints;

/// <summary>
/// The explorer's map of the <c>--explore</c> images (/v1/explore…). Every answer comes from the map of the
/// generation its headers name: while the served model's map is still being computed the point endpoints
/// answer 503 with Retry-After, never a map of another model. Work per request is bounded: the point
/// lists are serialized once per generation and projection, one point costs one image load and one PNG,
/// a neighbour search one encode, a scan of the latents and at most <see cref="MaxNeighbors"/> PNGs.
/// </summary>
internal sealed class ExploreHandlers(ExploreService explore, ApiHandlers api, ServerOptions options, RequestBudgets budgets)
{
    public const int MaxNeighbors = 32;
    private static readonly string[] Projections = ["pca", "umap"];

    // (generation, projection) → the serialized point list; two entries per generation, older ones dropped.
    private readonly ConcurrentDictionary<(int, string), byte[]> _points = new();

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/explore", (HttpContext c, ExploreHandlers h) => h.Status(c))
            .WithSummary("State of the explorer's map of the --explore images: off, computing (with progress), ready or failed");
        v1.MapGet("/explore/points", (HttpContext c, ExploreHandlers h) => h.Points(c))
            .WithSummary("Every image of the map on one projection (?projection=pca|umap): parallel arrays x, y, label, name");
        v1.MapGet("/explore/points/{index}", (HttpContext c, string index, ExploreHandlers h) => h.PointAsync(c, index))
            .WithSummary("One point of the map: its image as the model sees it, latent, label and places (?zoom=N)");
        v1.MapPost("/explore/neighbors", (HttpContext c, ExploreHandlers h) => h.NeighborsAsync(c))
            .WithSummary("The nearest map points to one uploaded image (?k=1..32), and where the image falls on both projections");
    }

    public IResult Status(HttpContext context)
    {
        using var lease = api.Lease(context, out _, out var identity);
        var set = explore.Set;
        if (set is null)
        {
            return Results.Json(new ExploreStatus("off", null, null, 0, identity.Generation, -1, 0, 0, 0, 0, null, Projections, [], null, null), RequestInputs.Json);
        }

        var map = explore.Map;
        var progress = explore.Progress;
        var current = map?.Generation == identity.Generation;
        var state = current ? "ready" : progress.Generation == identity.Generation && progress.Failure is not null ? "failed" : "computing";
        return Results.Json(
            new ExploreStatus(
                state,
                set.Source,
                set.Kind,
                set.Count,
                identity.Generation,
                map?.Generation ?? -1,
                map?.Count ?? 0,
                map?.Skipped ?? 0,
                current ? set.Count : progress.Generation == identity.Generation ? progress.Done : 0,
                set.Count,
                state == "failed" ? progress.Failure : null,
                Projections,
                map?.LabelNames ?? [],
                map?.EncodeTime.TotalMilliseconds,
                map?.ProjectTime.TotalMilliseconds),
            RequestInputs.Json);
    }

    public IResult Points(HttpContext context)
    {
        var projection = ParseProjection(context.Request.Query["projection"].FirstOrDefault());
        using var lease = api.Lease(context, out _, out var identity);
        var map = CurrentMap(context, identity);
        var bytes = _points.GetOrAdd((map.Generation, projection), _ =>
        {
            foreach (var key in _points.Keys.Where(k => k.Item1 != map.Generation))
            {
                _points.TryRemove(key, out var _);
            }

            var layout = projection == "pca" ? map.PcaLayout : map.UmapLayout;
            var set = explore.Set!;
            var points = new ExplorePoints(
                map.Generation,
                map.ModelName,
                projection,
                map.Count,
                map.LabelNames,
                Enumerable.Range(0, map.Count).Select(p => layout[2 * p]).ToArray(),
                Enumerable.Range(0, map.Count).Select(p => layout[(2 * p) + 1]).ToArray(),
                map.Items.Select(i => set.Labels[i]).ToArray(),
                map.Items.Select(i => set.Names[i]).ToArray());
            return JsonSerializer.SerializeToUtf8Bytes(points, RequestInputs.Json);
        });
        return Results.Bytes(bytes, "application/json");
    }

    public async Task<IResult> PointAsync(HttpContext context, string indexText)
    {
        if (!int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            throw ApiException.BadRequest($"The point index must be a non-negative integer, got '{indexText}'.");
        }

        var zoom = ApiHandlers.QueryInt(context, "zoom", 1, 1, 16);
        using var lease = api.Lease(context, out var model, out var identity);
        var map = CurrentMap(context, identity);
        if (index >= map.Count)
        {
            throw new ApiException(404, "Not found", $"The map has {map.Count} points (0..{map.Count - 1}); there is no point {index}.");
        }

        await api.ReserveAsync(context, ApiHandlers.RowBytes(1, model.PixelCount, 0) + api.OutputBytes(ImageOutput.ImagePixels(model, zoom), "zoom²"));
        var set = explore.Set!;
        var item = map.Items[index];
        var label = set.Labels[item];
        return Results.Json(
            new ExplorePoint(map.Generation, index, set.Names[item], label, LabelName(map, label), map.Latent(index).ToArray(), Place(map.PcaLayout, index), Place(map.UmapLayout, index), Thumbnail(model, set, item, zoom)),
            RequestInputs.Json);
    }

    public async Task<IResult> NeighborsAsync(HttpContext context)
    {
        var k = ApiHandlers.QueryInt(context, "k", 8, 1, MaxNeighbors);
        var zoom = ApiHandlers.QueryInt(context, "zoom", 1, 1, 16);
        var images = await RequestInputs.ReadImagesAsync(context, options, budgets, context.RequestAborted);
        if (images.Count != 1)
        {
            throw ApiException.Unprocessable($"Send one image to find its neighbours; got {images.Count}.");
        }

        using var lease = api.Lease(context, out var model, out var identity);
        var map = CurrentMap(context, identity);

        // The same budget as an encode, plus the k thumbnails of the answer.
        var batch = ImageBatch.Measure(model, images, options);
        await api.ReserveAsync(context, batch.DecodePeakBytes + ApiHandlers.RowBytes(1, model.PixelCount, model.LatentDim) + api.OutputBytes(k * ImageOutput.ImagePixels(model, zoom), "k × zoom²"));
        var tensors = batch.Decode(options.WorkObserver, context.RequestAborted);
        var latent = ApiHandlers.Finite(await api.RunAsync(context, model, BatchOperation.Encode, tensors), "latent", images)[0];
        var nearest = map.Nearest(latent, Math.Min(k, map.Count));
        var set = explore.Set!;
        var (px, py) = map.Pca.Project(latent);
        var (ux, uy) = NeighborEmbedding.Place(nearest.Take(NeighborEmbedding.Neighbors).ToList(), map.UmapLayout);
        var neighbors = nearest.Select(n =>
        {
            var item = map.Items[n.Index];
            var label = set.Labels[item];
            return new ExploreNeighbor(n.Index, set.Names[item], label, LabelName(map, label), n.Distance, Thumbnail(model, set, item, zoom));
        }).ToArray();
        return Results.Json(new ExploreNeighbors(map.Generation, images[0].Name, latent, new ExplorePlace((float)px, (float)py), new ExplorePlace(ux, uy), neighbors), RequestInputs.Json);
    }

    private static string ParseProjection(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "umap" => "umap",
        "pca" => "pca",
        _ => throw ApiException.BadRequest($"projection must be 'pca' or 'umap', got '{text}'."),
    };

    private static ExplorePlace Place(float[] layout, int index) => new(layout[2 * index], layout[(2 * index) + 1]);

    private static string? LabelName(ExploreMap map, int label) => label >= 0 && label < map.LabelNames.Length ? map.LabelNames[label] : null;

    /// <summary>The image as the model sees it (its own preprocessing), as a PNG data URL.</summary>
    private static string Thumbnail(Autoencoder model, ExploreSet set, int item, int zoom)
    {
        try
        {
            return ImageOutput.DataUrl(ImageOutput.Png1(model, set.Tensor(model, item), zoom));
        }
        catch (Imaging.ImageLoadException e)
        {
            // The file changed on disk after the map was made.
            throw ApiException.From(FailureTable.Classify(e), $"Image '{set.Names[item]}' of the map can no longer be read: {e.Message}");
        }
    }

    /// <summary>The map of the generation this request leased; 404 without --explore, 503 while it is computed, 422 when it failed.</summary>
    private ExploreMap CurrentMap(HttpContext context, ServedModel identity)
    {
        if (explore.Set is null)
        {
            throw new ApiException(404, "Not found", "The server has no map of images: start it with --explore DIR|IDX-FILE.");
        }

        var map = explore.Map;
        if (map?.Generation == identity.Generation)
        {
            return map;
        }

        var progress = explore.Progress;
        if (progress.Generation == identity.Generation && progress.Failure is { } failure)
        {
            throw ApiException.Unprocessable($"The map could not be made for model generation {identity.Generation}: {failure}");
        }

        context.Response.Headers.RetryAfter = "1";
        var done = progress.Generation == identity.Generation ? progress.Done : 0;
        throw new ApiException(503, "Service unavailable", $"The map for model generation {identity.Generation} is being computed ({done} of {explore.Set.Count} images encoded); retry shortly.");
    }
}
