using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AeOnnx.Latents;
using AeOnnx.Server.Batching;
using AeOnnx.Server.Endpoints.Requests;
using AeOnnx.Server.Endpoints.Responses;
using AeOnnx.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AeOnnx.Server.Endpoints;

/// <summary>
/// The /v1 handlers. Each request reads its body first, then leases the current model and keeps that
/// lease until it has answered: every number and pixel in a response comes from the one model its
/// headers name, even while a swap happens.
/// </summary>
internal sealed class ApiHandlers(ModelService models, InferenceBatcher batcher, ServerOptions options, RequestBudgets budgets)
{
    public const string ModelHeader = "X-AeOnnx-Model";
    public const string GenerationHeader = "X-AeOnnx-Model-Generation";
    public const string EncoderShaHeader = "X-AeOnnx-Encoder-Sha256";
    public const string DecoderShaHeader = "X-AeOnnx-Decoder-Sha256";
    public const string NpyType = "application/x-npy";
    public const string SeedHeader = "X-AeOnnx-Seed";

    public async Task<Results<Ok<EncodeResponse>, FileContentHttpResult>> EncodeAsync(HttpContext context)
    {
        var images = await RequestInputs.ReadImagesAsync(context, options, budgets, context.RequestAborted);
        using var lease = Lease(context, out var model, out var identity);
        var batch = ImageBatch.Measure(model, images, options);
        await ReserveAsync(context, batch.DecodePeakBytes + RowBytes(images.Count, model.PixelCount, model.LatentDim) + (images.Count * (long)model.LatentDim * 16));
        var tensors = batch.Decode(options.WorkObserver, context.RequestAborted);
        var latents = Finite(await RunAsync(context, model, BatchOperation.Encode, tensors), "latent", images);
        if (Accepts(context, NpyType))
        {
            return TypedResults.Bytes(IO.NpyWriter.ToBytes(latents, model.LatentDim), NpyType);
        }

        return TypedResults.Ok(new EncodeResponse(identity.Name, identity.Generation, model.LatentDim, [.. images.Select(i => i.Name)], latents));
    }

    public async Task<Results<Ok<DecodeResponse>, FileContentHttpResult>> DecodeAsync(HttpContext context)
    {
        var request = await RequestInputs.ReadJsonAsync<DecodeRequest>(context, options, budgets, null, context.RequestAborted);
        using var lease = Lease(context, out var model, out _);
        var latents = CheckLatents(model, request.Latents, 1, options.MaxItemsPerRequest, "latents");
        var format = Format(context, "png", "png", "json");
        var zoom = QueryInt(context, "zoom", 1, 1, 16);
        var columns = request.Columns ?? (int)Math.Ceiling(Math.Sqrt(latents.Length));
        var pixels = format == "json" || latents.Length == 1
            ? latents.Length * ImageOutput.ImagePixels(model, zoom)
            : ImageOutput.GridPixels(model, latents.Length, columns, zoom);
        await ReserveAsync(context, RowBytes(latents.Length, model.LatentDim, model.PixelCount) + OutputBytes(pixels, "latents × zoom²"));
        var outputs = Finite(await RunAsync(context, model, BatchOperation.Decode, latents), "image", "latents");
        if (format == "json")
        {
            return TypedResults.Ok(new DecodeResponse(ImageOutput.DataUrls(model, outputs, zoom, options.WorkObserver, context.RequestAborted)));
        }

        var png = outputs.Length == 1
            ? ImageOutput.Png1(model, outputs[0], zoom)
            : ImageOutput.Grid(model, outputs, columns, zoom, options.WorkObserver, context.RequestAborted);
        return TypedResults.Bytes(png, "image/png");
    }

    public async Task<Results<Ok<ReconstructResponse>, FileContentHttpResult>> ReconstructAsync(HttpContext context)
    {
        var images = await RequestInputs.ReadImagesAsync(context, options, budgets, context.RequestAborted);
        using var lease = Lease(context, out var model, out _);
        var batch = ImageBatch.Measure(model, images, options);
        var format = Format(context, "png", "png", "json");
        var zoom = QueryInt(context, "zoom", 1, 1, 16);

        // JSON: input and output per image; PNG: one image, or inputs over reconstructions in a grid.
        var pixels = format == "json" ? 2 * images.Count * ImageOutput.ImagePixels(model, zoom)
            : images.Count == 1 ? ImageOutput.ImagePixels(model, zoom)
            : ImageOutput.GridPixels(model, 2 * images.Count, images.Count, zoom);
        await ReserveAsync(context, batch.DecodePeakBytes + (2 * RowBytes(images.Count, model.PixelCount, model.LatentDim)) + OutputBytes(pixels, "images × zoom²"));
        var inputs = batch.Decode(options.WorkObserver, context.RequestAborted);
        var latents = Finite(await RunAsync(context, model, BatchOperation.Encode, inputs), "latent", images);
        var outputs = Finite(await RunAsync(context, model, BatchOperation.Decode, latents), "reconstruction", images);
        var errors = inputs.Select((input, i) => model.MeasureError(input, outputs[i])).ToArray();
        context.Response.Headers["X-AeOnnx-Mse"] = string.Join(',', errors.Select(e => e.Mse.ToString("R", CultureInfo.InvariantCulture)));
        context.Response.Headers["X-AeOnnx-Psnr"] = string.Join(',', errors.Select(e => e.Psnr.ToString("R", CultureInfo.InvariantCulture)));
        if (format == "json")
        {
            var shown = ImageOutput.DataUrls(model, [.. inputs, .. outputs], zoom, options.WorkObserver, context.RequestAborted);
            // A perfect reconstruction has an infinite PSNR, which JSON cannot hold: null says so.
            return TypedResults.Ok(new ReconstructResponse([.. images.Select((image, i) => new ReconstructedImage(
                image.Name,
                errors[i].Mse,
                double.IsFinite(errors[i].Psnr) ? errors[i].Psnr : null,
                latents[i],
                shown[i],
                shown[images.Count + i]))]));
        }

        if (outputs.Length == 1)
        {
            return TypedResults.Bytes(ImageOutput.Png1(model, outputs[0], zoom), "image/png");
        }

        // Several images: inputs (as the model sees them) on the first row, reconstructions below.
        return TypedResults.Bytes(ImageOutput.Grid(model, [.. inputs, .. outputs], inputs.Length, zoom, options.WorkObserver, context.RequestAborted), "image/png");
    }

    public async Task<Results<Ok<FramesResponse>, FileContentHttpResult>> InterpolateAsync(HttpContext context)
    {
        var steps = QueryInt(context, "steps", 8, 1, options.MaxOutputImages);
        var modeText = context.Request.Query["mode"].FirstOrDefault();
        var format = Format(context, "png", "png", "gif", "frames");
        var zoom = QueryInt(context, "zoom", format == "gif" ? 4 : 1, 1, 16);
        float[][]? keys = null;
        ImageBatch? batch = null;
        IDisposable lease;
        Autoencoder model;
        int keyCount;
        if (RequestInputs.IsJson(context.Request))
        {
            var request = await RequestInputs.ReadJsonAsync<InterpolateRequest>(context, options, budgets, null, context.RequestAborted);
            steps = request.Steps is { } s ? CheckRange(Once(context, "steps", s), 1, options.MaxOutputImages, "steps") : steps;
            modeText = request.Mode is { } m ? Once(context, "mode", m) : modeText;
            lease = Lease(context, out model, out _);
            keys = CheckLatents(model, request.Latents, 2, options.MaxItemsPerRequest, "latents");
            keyCount = keys.Length;
        }
        else
        {
            var images = await RequestInputs.ReadImagesAsync(context, options, budgets, context.RequestAborted);
            if (images.Count < 2)
            {
                throw ApiException.Unprocessable($"Interpolation needs two or more images; got {images.Count}. Send them as multipart/form-data, or send latents as JSON.");
            }

            lease = Lease(context, out model, out _);
            batch = ImageBatch.Measure(model, images, options);
            keyCount = images.Count;
        }

        using (lease)
        {
            var mode = ParseMode(modeText);
            var frames = ((keyCount - 1) * steps) + 1;
            if (frames > options.MaxOutputImages)
            {
                throw ApiException.Unprocessable($"{keyCount} keys × {steps} steps make {frames} images; at most {options.MaxOutputImages}.");
            }

            var columns = QueryInt(context, "columns", Math.Min(frames, steps + 1), 1, 256);
            var pixels = format == "png" ? ImageOutput.GridPixels(model, frames, columns, zoom) : frames * ImageOutput.ImagePixels(model, zoom);
            var delay = QueryInt(context, "delay", 10, 1, 500);
            await ReserveAsync(context, (batch?.DecodePeakBytes ?? 0) + RowBytes(keyCount, model.PixelCount, model.LatentDim) + RowBytes(frames, model.LatentDim, model.PixelCount) + OutputBytes(pixels, "frames × zoom²"));
            if (batch is not null)
            {
                keys = Finite(await RunAsync(context, model, BatchOperation.Encode, batch.Decode(options.WorkObserver, context.RequestAborted)), "latent", batch.Images);
            }

            var path = Computed(LatentMath.Path(keys!, steps, mode), "interpolation path", "the key latents are too large for float32 arithmetic");
            var outputs = Finite(await RunAsync(context, model, BatchOperation.Decode, path), "image", "path");
            var observe = options.WorkObserver;
            if (format == "frames")
            {
                return TypedResults.Ok(new FramesResponse(mode == InterpolationMode.Linear ? "lerp" : "slerp", path, ImageOutput.DataUrls(model, outputs, zoom, observe, context.RequestAborted)));
            }

            return format == "gif"
                ? TypedResults.Bytes(ImageOutput.Gif(model, outputs, zoom, delay, observe, context.RequestAborted), "image/gif")
                : TypedResults.Bytes(ImageOutput.Grid(model, outputs, columns, zoom, observe, context.RequestAborted), "image/png");
        }
    }

    public async Task<Results<Ok<SampleResponse>, FileContentHttpResult>> SampleAsync(HttpContext context)
    {
        var request = await RequestInputs.ReadJsonAsync(context, options, budgets, new SampleRequest(null, null, null, null), context.RequestAborted);
        var count = request.Count is { } c ? CheckRange(Once(context, "count", c), 1, options.MaxOutputImages, "count") : QueryInt(context, "count", 8, 1, options.MaxOutputImages);

        // No seed: a fresh one per request (new images each time), echoed so any answer can be drawn again.
        var seed = request.Seed is { } given ? Once(context, "seed", given) : QueryInt(context, "seed", RandomNumberGenerator.GetInt32(int.MaxValue), int.MinValue, int.MaxValue);
        context.Response.Headers[SeedHeader] = seed.ToString(CultureInfo.InvariantCulture);
        var temperature = request.Temperature is { } t ? Once(context, "temperature", t) : QueryDouble(context, "temperature", 1.0);
        if (!double.IsFinite(temperature) || temperature < 0 || temperature > 10)
        {
            throw ApiException.Unprocessable($"temperature must be between 0 and 10, got {temperature.ToString(CultureInfo.InvariantCulture)}.");
        }

        var fromText = (request.From is { } f ? Once(context, "from", f) : null) ?? context.Request.Query["from"].FirstOrDefault() ?? "auto";
        var source = fromText.ToLowerInvariant() switch
        {
            "auto" => LatentSource.Auto,
            "fitted" => LatentSource.Fitted,
            "prior" => LatentSource.Prior,
            _ => throw ApiException.BadRequest($"from must be 'auto', 'fitted' or 'prior', got '{fromText}'."),
        };
        var format = Format(context, "png", "png", "json");
        var zoom = QueryInt(context, "zoom", 1, 1, 16);
        var columns = QueryInt(context, "columns", (int)Math.Ceiling(Math.Sqrt(count)), 1, 256);

        using var lease = Lease(context, out var model, out _);
        LatentGaussian distribution;
        try
        {
            distribution = model.GetSamplingDistribution(source);
        }
        catch (InvalidOperationException e)
        {
            throw ApiException.Unprocessable(e.Message);
        }

        var pixels = format == "json" ? count * ImageOutput.ImagePixels(model, zoom) : ImageOutput.GridPixels(model, count, columns, zoom);
        await ReserveAsync(context, RowBytes(count, model.LatentDim, model.PixelCount) + OutputBytes(pixels, "count × zoom²"));
        var mean = distribution.GetMean();

        // Temperature scales each draw's distance from the mean: 0 gives the mean, 1 the distribution itself.
        var latents = Computed(
            distribution.Sample(count, seed).Select(z => z.Select((v, i) => (float)(mean[i] + (temperature * (v - mean[i])))).ToArray()).ToArray(),
            "sampled latent",
            "the model's latent distribution overflows float32");
        var outputs = Finite(await RunAsync(context, model, BatchOperation.Decode, latents), "image", "samples");
        if (format == "json")
        {
            return TypedResults.Ok(new SampleResponse(SourceName(model, distribution), seed, temperature, latents, ImageOutput.DataUrls(model, outputs, zoom, options.WorkObserver, context.RequestAborted)));
        }

        return TypedResults.Bytes(ImageOutput.Grid(model, outputs, columns, zoom, options.WorkObserver, context.RequestAborted), "image/png");
    }

    public async Task<Results<Ok<ArithmeticResponse>, FileContentHttpResult>> ArithmeticAsync(HttpContext context)
    {
        var request = await RequestInputs.ReadJsonAsync<ArithmeticRequest>(context, options, budgets, null, context.RequestAborted);
        var zoom = QueryInt(context, "zoom", 1, 1, 16);
        using var lease = Lease(context, out var model, out _);
        var d = model.LatentDim;
        double[] sum;
        if (request.Latent is not null && request.Class is not null)
        {
            throw ApiException.BadRequest("'latent' and 'class' are both given; the start is one of them.");
        }

        if (request.Latent is not null)
        {
            sum = CheckLatents(model, [request.Latent], 1, 1, "latent")[0].Select(v => (double)v).ToArray();
        }
        else if (request.Class is not null)
        {
            sum = Centroid(model, request.Class).Select(v => (double)v).ToArray();
        }
        else
        {
            throw ApiException.Unprocessable("Give a start: 'latent' (D numbers) or 'class' (a class label of the model).");
        }

        var terms = request.Terms ?? [];
        if (terms.Count > options.MaxItemsPerRequest)
        {
            throw ApiException.Unprocessable($"{terms.Count} terms; at most {options.MaxItemsPerRequest}.");
        }

        await ReserveAsync(context, RowBytes(1, d, model.PixelCount) + OutputBytes(ImageOutput.ImagePixels(model, zoom), "zoom²"));
        var origin = ClassOrigin(model);
        for (var t = 0; t < terms.Count; t++)
        {
            var term = terms[t];
            var weight = term.Weight ?? 1.0;
            if (!double.IsFinite(weight))
            {
                throw ApiException.Unprocessable($"terms[{t}].weight must be a finite number.");
            }

            float[] vector;
            if (term.Class is not null && term.Latent is null)
            {
                var centroid = Centroid(model, term.Class);
                vector = LatentMath.Subtract(centroid, origin);
            }
            else if (term.Latent is not null && term.Class is null)
            {
                vector = CheckLatents(model, [term.Latent], 1, 1, $"terms[{t}].latent")[0];
            }
            else if (term.Latent is not null)
            {
                throw ApiException.BadRequest($"terms[{t}] gives both 'class' and 'latent'; a term is one of them.");
            }
            else
            {
                throw ApiException.Unprocessable($"terms[{t}] must have exactly one of 'class' or 'latent'.");
            }

            for (var i = 0; i < d; i++)
            {
                sum[i] += weight * vector[i];
            }
        }

        // Summed in float64, so terms that cancel do; what does not fit float32 is refused, never decoded.
        var result = Computed([sum.Select(v => (float)v).ToArray()], "result latent", "the weighted terms overflow float32 (use smaller weights)")[0];
        var output = Finite(await RunAsync(context, model, BatchOperation.Decode, [result]), "image", "result")[0];
        var png = ImageOutput.Png1(model, output, zoom);
        if (Format(context, Accepts(context, "image/png") ? "png" : "json", "png", "json") == "png")
        {
            return TypedResults.Bytes(png, "image/png");
        }

        return TypedResults.Ok(new ArithmeticResponse(result, ImageOutput.DataUrl(png)));
    }

    public async Task<Ok<MapResponse>> MapAsync(HttpContext context)
    {
        using var lease = Lease(context, out var model, out _);
        var classes = model.Classes.Where(c => c.Centroid.Count == model.LatentDim).ToArray();
        if (classes.Length < 2)
        {
            throw ApiException.Unprocessable($"Model '{model.Name}' has fewer than two class centroids in its manifest: no map to draw.");
        }

        var centroids = classes.Select(c => c.Centroid.ToArray()).ToArray();
        var pca = LatentPca.Fit(centroids);
        var zoom = QueryInt(context, "zoom", 1, 1, 16);
        await ReserveAsync(context, RowBytes(centroids.Length, model.LatentDim, model.PixelCount) + OutputBytes(centroids.Length * ImageOutput.ImagePixels(model, zoom), "classes × zoom²"));
        var outputs = Finite(await RunAsync(context, model, BatchOperation.Decode, centroids), "image", "centroids");
        var images = ImageOutput.DataUrls(model, outputs, zoom, options.WorkObserver, context.RequestAborted);
        return TypedResults.Ok(new MapResponse(pca.Mean, pca.Components, [.. classes.Select((c, i) =>
        {
            var (x, y) = pca.Project(centroids[i]);
            return new MapPoint(c.Label ?? $"class {c.Index}", c.Index, c.Count, x, y, centroids[i], images[i]);
        })]));
    }

    public Ok<ModelInfoResponse> ModelInfo(HttpContext context)
    {
        using var lease = Lease(context, out var model, out var identity);
        var input = model.Manifest.Image;
        var refusal = models.LastRefusal;
        return TypedResults.Ok(new ModelInfoResponse(
            identity.Name,
            identity.Kind,
            identity.Generation,
            models.Swaps,
            identity.LoadedAt,
            identity.FolderName,
            identity.EncoderSha256,
            identity.DecoderSha256,
            model.Device.ToString(),
            model.ExecutionProvider,
            new ModelInput(input.Channels, input.Height, input.Width, Models.ImageSpecReader.ColorName(input.Color), Models.ImageSpecReader.ResizeName(input.Resize)),
            model.LatentDim,
            model.SamplingDistribution is not null,
            model.SamplingDistribution is { } sampling ? SourceName(model, sampling) : null,
            [.. model.Classes.Select(c => new ModelClass(c.Label, c.Index, c.Count, c.Centroid))],
            model.Manifest.Metrics,
            model.Manifest.Metrics?.Warnings ?? [],
            new BatchingSettings(options.MaxBatch, options.MaxDelay.TotalMilliseconds, options.QueueCapacity, batcher.Pending),
            options.Watch,
            refusal is null ? null : new RefusalInfo(refusal.FolderName, refusal.Reason, refusal.At)));
    }

    public async Task<Ok<ReloadResponse>> ReloadAsync(HttpContext context)
    {
        if (options.AdminToken is null)
        {
            throw new ApiException(404, "Not found", "The admin endpoint is disabled: start the server with an admin token (AEONNX_ADMIN_TOKEN or --admin-token-file).");
        }

        var header = context.Request.Headers.Authorization.FirstOrDefault() ?? string.Empty;
        const string prefix = "Bearer ";
        var given = header.StartsWith(prefix, StringComparison.Ordinal) ? header[prefix.Length..].Trim() : string.Empty;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(options.AdminToken)))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new ApiException(401, "Unauthorized", "A valid 'Authorization: Bearer <admin token>' header is required.");
        }

        var outcome = await models.ReloadAsync(null, "admin", context.RequestAborted);
        if (outcome.Refusal is { } refusal)
        {
            throw ApiException.Unprocessable($"Model folder '{refusal.FolderName}' was refused; still serving the previous model. {refusal.Reason}");
        }

        var identity = outcome.Identity ?? throw new ApiException(409, "Conflict", "A later reload swapped in a model while this one was loading; GET /v1/model shows the model now served.");
        Stamp(context, identity);
        return TypedResults.Ok(new ReloadResponse(!outcome.IsUnchanged, identity.Name, identity.Generation, identity.EncoderSha256, identity.DecoderSha256));
    }

    /// <summary>The header value that carries a model name: percent-encoded UTF-8 (RFC 3986 unreserved characters stay), so any name survives HTTP's ASCII headers.</summary>
    public static string HeaderValue(string name) => Uri.EscapeDataString(name);

    internal IDisposable Lease(HttpContext context, out Autoencoder model, out ServedModel identity)
    {
        // A probe request (the server's own, carrying its secret) runs on the candidate it names.
        if (models.TryGetCandidate(context, out model, out identity))
        {
            Stamp(context, identity);
            return NoLease.Instance;
        }

        AutoencoderLease lease;
        try
        {
            lease = models.Acquire();
        }
        catch (ObjectDisposedException)
        {
            throw ApiException.Unavailable("The server is shutting down.");
        }

        model = lease.Model;
        identity = models.IdentityOf(model);
        Stamp(context, identity);
        return lease;
    }

    private static void Stamp(HttpContext context, ServedModel identity)
    {
        var headers = context.Response.Headers;
        headers[ModelHeader] = HeaderValue(identity.Name);
        headers[GenerationHeader] = identity.Generation.ToString(CultureInfo.InvariantCulture);
        headers[EncoderShaHeader] = identity.EncoderSha256;
        headers[DecoderShaHeader] = identity.DecoderSha256;
    }

    internal async Task<float[][]> RunAsync(HttpContext context, Autoencoder model, BatchOperation operation, IReadOnlyList<float[]> rows)
    {
        if (string.Equals(context.Request.Query["batching"], "off", StringComparison.OrdinalIgnoreCase) || options.MaxBatch == 1)
        {
            context.RequestAborted.ThrowIfCancellationRequested();
            return InferenceBatcher.RunDirect(model, operation, rows);
        }

        return await batcher.RunAsync(model, operation, rows, context.RequestAborted);
    }

    /// <summary>Bytes of <paramref name="count"/> rows in and out of a model run: the rows, the batch tensors and the results.</summary>
    internal static long RowBytes(int count, int inWidth, int outWidth) => (long)count * (inWidth + outWidth) * sizeof(float) * 3;

    /// <summary>The working bytes of an answer of <paramref name="pixels"/> pixels, refused (422) before any work when over the per-request limit.</summary>
    internal long OutputBytes(long pixels, string made)
    {
        if (pixels > options.MaxOutputPixelsPerRequest)
        {
            throw ApiException.Unprocessable(
                $"The answer would hold {pixels} pixels ({made}); at most {options.MaxOutputPixelsPerRequest} per request. Ask for fewer images or a smaller zoom.");
        }

        return ImageOutput.WorkingBytes(pixels);
    }

    /// <summary>Reserves the request's working memory before its work starts; held until the answer is sent.</summary>
    internal async Task ReserveAsync(HttpContext context, long bytes)
    {
        var reservation = await budgets.Working.ReserveAsync(bytes, context.RequestAborted);
        context.Response.RegisterForDispose(reservation);
    }

    /// <summary>Model outputs, refused (422) when one holds NaN or infinity: never returned, encoded to a picture or written.</summary>
    internal static float[][] Finite(float[][] rows, string what, IReadOnlyList<NamedBytes> images) =>
        Finite(rows, what, images.Count == 1 ? null : i => $"image '{images[i].Name}'");

    private static float[][] Finite(float[][] rows, string what, string items) =>
        Finite(rows, what, rows.Length == 1 ? null : i => $"{items}[{i}]");

    private static float[][] Finite(float[][] rows, string what, Func<int, string>? item)
    {
        for (var i = 0; i < rows.Length; i++)
        {
            var at = LatentMath.IndexOfNonFinite(rows[i]);
            if (at >= 0)
            {
                var which = item is null ? string.Empty : $" for {item(i)}";
                throw ApiException.Unprocessable($"The model produced a non-finite value ({Num(rows[i][at])}) in the {what}{which}; nothing is returned for this request.");
            }
        }

        return rows;
    }

    /// <summary>Latents computed from the request (arithmetic, a path, samples), refused (422) when not finite, before any decoding.</summary>
    private static float[][] Computed(float[][] rows, string what, string why)
    {
        for (var i = 0; i < rows.Length; i++)
        {
            var at = LatentMath.IndexOfNonFinite(rows[i]);
            if (at >= 0)
            {
                throw ApiException.Unprocessable($"The {what}{(rows.Length == 1 ? string.Empty : $" [{i}]")} is not finite ({Num(rows[i][at])} at z{at}): {why}; nothing was decoded.");
            }
        }

        return rows;
    }

    private static string Num(float value) => value.ToString(CultureInfo.InvariantCulture);

    private static float[][] CheckLatents(Autoencoder model, float[][]? latents, int min, int max, string field)
    {
        if (latents is null || latents.Length == 0)
        {
            throw ApiException.Unprocessable($"'{field}' is missing: give {(min == 1 ? "one or more latents" : $"{min} or more latents")} of {model.LatentDim} numbers each (model '{model.Name}').");
        }

        if (latents.Length < min || latents.Length > max)
        {
            throw ApiException.Unprocessable($"'{field}' holds {latents.Length} latents; between {min} and {max} are accepted.");
        }

        for (var i = 0; i < latents.Length; i++)
        {
            var latent = latents[i];
            if (latent is null || latent.Length != model.LatentDim)
            {
                throw ApiException.Unprocessable($"{field}[{i}] has {latent?.Length ?? 0} values; model '{model.Name}' expects {model.LatentDim}.");
            }

            if (latent.Any(v => !float.IsFinite(v)))
            {
                throw ApiException.Unprocessable($"{field}[{i}] holds a value that is not a finite float32.");
            }
        }

        return latents;
    }

    private static float[] Centroid(Autoencoder model, string label)
    {
        var match = model.Classes.FirstOrDefault(c => string.Equals(c.Label, label, StringComparison.OrdinalIgnoreCase));
        if (match?.Centroid is not { } centroid || centroid.Count != model.LatentDim)
        {
            var known = model.Classes.Count == 0 ? "it has no class centroids" : "known: " + string.Join(", ", model.Classes.Select(c => c.Label));
            throw ApiException.Unprocessable($"Model '{model.Name}' has no class '{label}' ({known}).");
        }

        return [.. centroid];
    }

    /// <summary>The point class directions start from: the training-set latent mean, else the mean of the centroids.</summary>
    private static float[] ClassOrigin(Autoencoder model)
    {
        if (model.LatentDistribution is { } distribution)
        {
            return distribution.GetMean();
        }

        var centroids = model.Classes.Where(c => c.Centroid.Count == model.LatentDim).Select(c => c.Centroid.ToArray()).ToArray();
        return centroids.Length == 0 ? new float[model.LatentDim] : LatentMath.Centroid(centroids);
    }

    private static InterpolationMode ParseMode(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "slerp" or "spherical" => InterpolationMode.Spherical,
        "lerp" or "linear" => InterpolationMode.Linear,
        _ => throw ApiException.BadRequest($"mode must be 'lerp' or 'slerp', got '{text}'."),
    };

    private static string SourceName(Autoencoder model, LatentGaussian distribution) =>
        ReferenceEquals(distribution, model.PriorDistribution) ? "prior N(0, I)" : "training-set latent Gaussian";

    private static bool Accepts(HttpContext context, string type) =>
        context.Request.Headers.Accept.Any(a => a is not null && a.Contains(type, StringComparison.OrdinalIgnoreCase));

    internal static string Format(HttpContext context, string fallback, params string[] allowed)
    {
        var value = context.Request.Query["format"].FirstOrDefault();
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        value = value.ToLowerInvariant();
        if (value == "json" && allowed.Contains("frames"))
        {
            value = "frames";
        }

        return allowed.Contains(value) ? value : throw ApiException.BadRequest($"format must be one of {string.Join(", ", allowed)}; got '{value}'.");
    }

    internal static int QueryInt(HttpContext context, string name, int fallback, int min, int max)
    {
        var text = context.Request.Query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            throw ApiException.BadRequest($"{name} must be an integer, got '{text}'.");
        }

        return CheckRange(value, min, max, name);
    }

    internal static double QueryDouble(HttpContext context, string name, double fallback)
    {
        var text = context.Request.Query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ApiException.BadRequest($"{name} must be a number, got '{text}'.");
    }

    /// <summary>A setting the body gives, refused (400) when the query gives it another value: neither wins silently.</summary>
    private static T Once<T>(HttpContext context, string name, T value)
        where T : notnull
    {
        var query = context.Request.Query[name];
        if (query.Count == 0)
        {
            return value;
        }

        var text = query.ToString();
        var same = value switch
        {
            int number => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var q) && q == number,
            double number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var q) && q == number,
            string word => string.Equals(word, text, StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
        return same ? value : throw ApiException.BadRequest(
            $"'{name}' is {Convert.ToString(value, CultureInfo.InvariantCulture)} in the JSON body but '{text}' in the query string; give it once.");
    }

    private static int CheckRange(int value, int min, int max, string name) =>
        value >= min && value <= max ? value : throw ApiException.Unprocessable($"{name} must be between {min} and {max}, got {value}.");

    /// <summary>A probe's candidate is not hosted yet: nothing to release.</summary>
    private sealed class NoLease : IDisposable
    {
        public static readonly NoLease Instance = new();

        public void Dispose()
        {
        }
    }
}
