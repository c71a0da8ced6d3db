using System.Globalization;
using AeOnnx.Anomaly;
using AeOnnx.Server.Batching;
using AeOnnx.Server.Endpoints.Responses;
using AeOnnx.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AeOnnx.Server.Endpoints;

/// <summary>
/// POST /v1/score: anomaly scores of uploaded images (docs/MODEL-FORMAT.md, anomaly), a decision against the
/// model's calibrated threshold (or one given), and where the error is as a heatmap. The images go through the
/// batcher like /v1/reconstruct; scores, decisions and heatmaps are the core's (<see cref="AutoencoderAnomalyExtensions"/>),
/// so the service, the CLI's <c>outliers</c> and the library agree. A calibrated VAE's −ELBO costs one more
/// encoder run per image (its log-variance).
/// </summary>
internal sealed class ScoreHandlers(ApiHandlers api, ServerOptions options, RequestBudgets budgets)
{
    /// <summary>The false-positive rate a calibrated model decides at when the request names no rule.</summary>
    public const double DefaultFalsePositiveRate = 0.01;

    public async Task<Results<Ok<ScoreResponse>, FileContentHttpResult>> ScoreAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var format = ApiHandlers.Format(context, "json", "json", "png");
        var heatmaps = format == "png" || Flag(context, "heatmap");
        double? fpr = query.ContainsKey("fpr") ? ApiHandlers.QueryDouble(context, "fpr", double.NaN) : null;
        double? given = query.ContainsKey("threshold") ? ApiHandlers.QueryDouble(context, "threshold", double.NaN) : null;
        if (fpr is not null && given is not null)
        {
            throw ApiException.BadRequest("fpr and threshold are alternatives: give one.");
        }

        if (fpr is { } rate && !(rate > 0 && rate < 1))
        {
            throw ApiException.Unprocessable($"fpr must be between 0 and 1 (exclusive), e.g. 0.01; got {Num(rate)}.");
        }

        if (given is { } t && !double.IsFinite(t))
        {
            throw ApiException.Unprocessable("threshold must be a finite number.");
        }

        var images = await RequestInputs.ReadImagesAsync(context, options, budgets, context.RequestAborted);
        if (format == "png" && images.Count != 1)
        {
            throw ApiException.Unprocessable($"format=png answers one image's heatmap; got {images.Count} images. Send one, or use format=json&heatmap=true for a heatmap per image.");
        }

        using var lease = api.Lease(context, out var model, out _);
        var (score, rule) = Decision(model, query["score"].FirstOrDefault(), fpr, given);
        var scale = ApiHandlers.QueryInt(context, "zoom", Math.Clamp(128 / model.Height, 1, 16), 1, 16);
        var batch = ImageBatch.Measure(model, images, options);
        var heatmapPixels = heatmaps ? images.Count * 3L * model.Width * scale * model.Height * scale : 0;
        await api.ReserveAsync(context, batch.DecodePeakBytes + (2 * ApiHandlers.RowBytes(images.Count, model.PixelCount, model.LatentDim)) + (images.Count * 3L * model.PixelCount * sizeof(float)) + api.OutputBytes(heatmapPixels, "heatmaps × zoom²"));
        var deadline = context.RequestAborted;
        var inputs = batch.Decode(options.WorkObserver, deadline);
        var latents = ApiHandlers.Finite(await api.RunAsync(context, model, BatchOperation.Encode, inputs), "latent", images);
        var outputs = ApiHandlers.Finite(await api.RunAsync(context, model, BatchOperation.Decode, latents), "reconstruction", images);

        var scored = new ScoredImage[images.Count];
        byte[]? png = null;
        for (var i = 0; i < images.Count; i++)
        {
            deadline.ThrowIfCancellationRequested();
            var result = model.ScoreAnomaly(new Reconstruction(inputs[i], latents[i], outputs[i], model.MeasureError(inputs[i], outputs[i])), rule);
            if (!result.Scores.TryGetValue(score, out var value) || !double.IsFinite(value))
            {
                throw ApiException.Unprocessable($"The {score.Name()} score of image '{images[i].Name}' is not a finite number; nothing is returned for this request.");
            }

            string? heatmap = null;
            if (heatmaps)
            {
                png = ImageOutput.Png1(AnomalyHeatmap.Render(model, result, scale));
                heatmap = format == "json" ? ImageOutput.DataUrl(png) : null;
                options.WorkObserver?.Invoke("render", i, deadline);
            }

            scored[i] = new ScoredImage(images[i].Name, value, rule is null ? null : rule.IsAnomalous(value), result.Scores.ToDictionary(s => s.Key.Name(), s => s.Value), heatmap);
        }

        var threshold = rule is null ? null : new ScoreThreshold(rule.Value, rule.FalsePositiveRate, rule.FalsePositiveRate is null ? null : model.Manifest.Anomaly!.CalibrationImages);
        if (format == "png")
        {
            var headers = context.Response.Headers;
            headers["X-AeOnnx-Score"] = scored[0].Score.ToString("R", CultureInfo.InvariantCulture);
            headers["X-AeOnnx-Score-Name"] = score.Name();
            if (rule is not null)
            {
                headers["X-AeOnnx-Threshold"] = rule.Value.ToString("R", CultureInfo.InvariantCulture);
                headers["X-AeOnnx-Anomalous"] = scored[0].Anomalous == true ? "true" : "false";
            }

            return TypedResults.Bytes(png!, "image/png");
        }

        return TypedResults.Ok(new ScoreResponse(score.Name(), threshold, scored.Count(s => s.Anomalous == true), scored));
    }

    /// <summary>The score and rule, checked against the model before any image is decoded.</summary>
    private static (AnomalyScore Score, AnomalyThreshold? Rule) Decision(Autoencoder model, string? name, double? fpr, double? given)
    {
        var calibration = model.Manifest.Anomaly;
        var score = calibration?.DefaultScore ?? AnomalyScore.Mse;
        if (!string.IsNullOrEmpty(name) && !AnomalyScoreNames.TryParse(name.ToLowerInvariant(), out score))
        {
            throw ApiException.BadRequest($"score must be one of {string.Join(", ", AnomalyScoreNames.All)}; got '{name}'.");
        }

        var missing = model.MissingFor(score);
        if (missing is not null)
        {
            throw ApiException.Unprocessable($"Model '{model.Name}' cannot compute the {score.Name()} score: that needs {missing}.");
        }

        if (given is { } value)
        {
            return (score, new AnomalyThreshold(score, value));
        }

        if (calibration is null)
        {
            return fpr is null
                ? (score, null)
                : throw ApiException.Unprocessable($"Model '{model.Name}' has no anomaly calibration (manifest.json's anomaly block), so fpr has no threshold to use: give threshold, or serve a calibrated model (training-scripts/calibrate.py --model FOLDER).");
        }

        if (!calibration.Scores.ContainsKey(score))
        {
            throw ApiException.Unprocessable($"Model '{model.Name}' has no calibration of the {score.Name()} score (it has {string.Join(", ", calibration.Scores.Keys.Select(s => s.Name()))}); give threshold.");
        }

        return (score, AnomalyThreshold.ForFalsePositiveRate(calibration, fpr ?? DefaultFalsePositiveRate, score));
    }

    private static bool Flag(HttpContext context, string name) => context.Request.Query[name].FirstOrDefault()?.ToLowerInvariant() switch
    {
        null or "" or "false" or "0" => false,
        "true" or "1" => true,
        var text => throw ApiException.BadRequest($"{name} must be true or false, got '{text}'."),
    };

    private static string Num(double value) => value.ToString(CultureInfo.InvariantCulture);
}
