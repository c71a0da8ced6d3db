using System.Net;
using AeOnnx.Server.Batching;
using AeOnnx.Server.Endpoints;
using AeOnnx.Server.Endpoints.OpenApi;
using AeOnnx.Server.Endpoints.Requests;
using AeOnnx.Server.Explorer;
using AeOnnx.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.OpenApi;
using Prometheus;

namespace AeOnnx.Server;

/// <summary>
/// The AeOnnx model service (<c>aeonnx serve</c>): an ASP.NET Core minimal API over one hot-swappable
/// model, with dynamic batching, Prometheus metrics, an OpenAPI document and the latent-space
/// explorer page at <c>/</c>. Start it with <see cref="StartAsync"/>; dispose it to stop.
/// </summary>
public sealed class AeOnnxServer : IAsyncDisposable
{
    /// <summary>Environment variable holding the admin token.</summary>
    public const string AdminTokenVariable = "AEONNX_ADMIN_TOKEN";

    private const string HostLogCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    private readonly WebApplication _app;
    private readonly ModelProbe _probe;
    private int _disposed;

    private AeOnnxServer(WebApplication app, Uri url, ModelService models, InferenceBatcher batcher, ServerMetrics metrics, ModelProbe probe)
    {
        _app = app;
        _probe = probe;
        Url = url;
        Models = models;
        Batcher = batcher;
        Metrics = metrics;
    }

    /// <summary>The address the server listens on, e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public Uri Url { get; }

    internal ModelService Models { get; }

    internal InferenceBatcher Batcher { get; }

    internal ServerMetrics Metrics { get; }

    internal RequestBudgets Budgets => _app.Services.GetRequiredService<RequestBudgets>();

    /// <summary>Loads the model and starts listening.</summary>
    /// <param name="options">Settings; <see cref="ServerOptions.ModelPath"/> is required.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="ModelLoadException">The model cannot be loaded, or loads but cannot answer a request through the service (the server does not start without one).</exception>
    /// <exception cref="ArgumentException">An option is out of range, the host address is not one, or <see cref="ServerOptions.ExplorePath"/> holds no images.</exception>
    /// <exception cref="ListenException">The address is in use or cannot be bound.</exception>
    public static async Task<AeOnnxServer> StartAsync(ServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],

            // Not the current folder: a stray appsettings.json there must not reconfigure the service.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();

        // Logs go to stderr: stdout carries only what the CLI prints (the URL line), so scripts can read it.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        // A start that fails (a busy port) is reported once, by the caller, in one line: the host's own
        // log of it (a stack trace) is held back until the server has started.
        var started = false;
        builder.Logging.AddFilter(HostLogCategory, level => level >= LogLevel.Warning && Volatile.Read(ref started));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // The handlers enforce MaxBodyBytes with a clean 413. Kestrel's own cap sits 1 MiB higher so it
            // can drain a slightly oversized body and deliver that answer; far larger uploads are cut off.
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes + (1024 * 1024);

            // A connection buffers at most this much of a body the handler has not read yet (Kestrel's
            // default is 1 MiB): at 512 connections waiting for the body budget that is 32 MiB, not 512.
            kestrel.Limits.MaxRequestBufferSize = 64 * 1024;
            Listen(kestrel, options.Host, options.Port);
        });

        // The explore set is read before anything starts: a wrong --explore stops the start with its reason.
        var exploreSet = options.ExplorePath is { Length: > 0 } explorePath ? Explore.ExploreSet.Load(explorePath, options.ExploreMaxImages) : null;
        var metrics = new ServerMetrics();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(sp => new ModelService(
            new AeOnnx.Hosting.ModelLocation(options.ModelPath), ModelOptions(options, sp), metrics, sp.GetRequiredService<ILoggerFactory>().CreateLogger("AeOnnx.Server.Models")));
        builder.Services.AddSingleton(_ => new InferenceBatcher(options.MaxBatch, options.MaxDelay, options.QueueCapacity, metrics, options.EffectiveInferenceWorkers));
        builder.Services.AddSingleton<ApiHandlers>();
        builder.Services.AddSingleton<RequestBudgets>();
        builder.Services.AddHostedService<MemoryReturner>();
        builder.Services.AddSingleton(sp => new Explore.ExploreService(sp.GetRequiredService<ModelService>(), exploreSet, sp.GetRequiredService<ILogger<Explore.ExploreService>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Explore.ExploreService>());
        builder.Services.AddSingleton<ExploreHandlers>();
        builder.Services.AddSingleton<ScoreHandlers>();
        builder.Services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.AddRequestLimits(options);
        builder.Services.AddHealthChecks().AddCheck<ModelReadyCheck>("model", tags: [ModelReadyCheck.Tag]);
        builder.Services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer(OpenApiConventions.DocumentAsync);
            o.AddOperationTransformer(OpenApiConventions.OperationAsync);
        });

        // Typed answers (TypedResults.Ok) are written with the same settings as the rest of the service.
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Encoder = RequestInputs.Json.Encoder;
            o.SerializerOptions.NumberHandling = RequestInputs.Json.NumberHandling;
        });
        if (options.Watch)
        {
            builder.Services.AddHostedService<ModelWatcher>();
        }

        var app = builder.Build();

        ModelService models;
        InferenceBatcher batcher;
        ModelProbe? probe = null;
        string address;
        try
        {
            // Load the model now, not at the first request: a server that cannot serve must not start.
            // The container owns both and disposes them with the app (the batcher first).
            models = app.Services.GetRequiredService<ModelService>();
            batcher = app.Services.GetRequiredService<InferenceBatcher>();
            // Metrics outermost (they see the final status); every failure a problem document (bare
            // statuses such as routing's 404 too); then the API's concurrency and time limits.
            app.UseMiddleware<RequestMetrics>();
            app.UseExceptionHandler();
            app.UseStatusCodePages(StatusCodePage);
            app.UseRequestLimits();
            MapEndpoints(app, metrics, options);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (e is not ListenException && !cancellationToken.IsCancellationRequested)
            {
                // Kestrel's bind failure: "Failed to bind to address http://127.0.0.1:8080: address already in use."
                throw new ListenException(e.Message, e);
            }

            Volatile.Write(ref started, true);
            address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

            // Ready means able to serve: the model answers one real request through this server
            // (Kestrel, middleware, handler, batcher, headers) before /readyz says so, and every
            // swapped-in model does the same before it is served.
            probe = new ModelProbe(ModelProbe.Loopback(address));
            models.Probe = probe.RunAsync;
            await models.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            probe?.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var url = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal).TrimEnd('/') + "/");
        return new AeOnnxServer(app, url, models, batcher, metrics, probe);
    }

    /// <summary>
    /// The admin token: the first line of <paramref name="file"/> when given, else the
    /// <see cref="AdminTokenVariable"/> environment variable; null when neither is set (the admin endpoint stays off).
    /// </summary>
    /// <param name="file">Optional file holding the token (e.g. a mounted Kubernetes secret).</param>
    /// <returns>The token or null.</returns>
    /// <exception cref="ArgumentException">The file is missing, empty, not a regular file or over 64 KiB.</exception>
    public static string? ReadAdminToken(string? file)
    {
        if (!string.IsNullOrWhiteSpace(file))
        {
            // A regular file only: a FIFO or a device in its place must not hang the start.
            string token;
            try
            {
                token = System.Text.Encoding.UTF8.GetString(AeOnnx.IO.RegularFile.ReadAllBytes(file, 64 * 1024)).Split('\n')[0].Trim();
            }
            catch (AeOnnx.IO.RegularFileException e)
            {
                throw new ArgumentException($"Admin token file '{file}': {e.Detail}", nameof(file), e);
            }

            return string.IsNullOrEmpty(token) ? throw new ArgumentException($"Admin token file '{file}' is empty.") : token;
        }

        var value = Environment.GetEnvironmentVariable(AdminTokenVariable)?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>Completes when the server stops (after <see cref="DisposeAsync"/> or a host shutdown).</summary>
    /// <param name="cancellationToken">Stops waiting (Ctrl+C in the CLI).</param>
    /// <returns>A task.</returns>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops listening, lets in-flight requests finish, and releases the model.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _app.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);

        // Disposes the container's singletons: the batcher (failing rows still queued), then the model.
        await _app.DisposeAsync().ConfigureAwait(false);
        _probe.Dispose();
    }

    /// <summary>
    /// The options every model is loaded with: the caller's, with the service's logger when they name none
    /// (the core reports the provider it chose, and why CUDA was skipped, through it). A copy: the
    /// caller's object is never changed.
    /// </summary>
    private static AutoencoderOptions ModelOptions(ServerOptions options, IServiceProvider services) =>
        options.ModelOptions.Logger is Microsoft.Extensions.Logging.Abstractions.NullLogger
            ? options.ModelOptions with { Logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("AeOnnx") }
            : options.ModelOptions;

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, string host, int port)
    {
        switch (host.Trim().ToLowerInvariant())
        {
            case "localhost":
                kestrel.Listen(IPAddress.Loopback, port);
                break;
            case "*" or "0.0.0.0" or "any":
                kestrel.Listen(IPAddress.Any, port);
                break;
            default:
                if (!IPAddress.TryParse(host, out var address))
                {
                    throw new ArgumentException($"--host must be an IP address, 'localhost' or '*', got '{host}'.");
                }

                kestrel.Listen(address, port);
                break;
        }
    }

    private static Task StatusCodePage(StatusCodeContext page)
    {
        var context = page.HttpContext;
        return context.RequestAborted.IsCancellationRequested
            ? Task.CompletedTask
            : ProblemAnswers.WriteAsync(context, context.Response.StatusCode, ProblemAnswers.ReasonPhrase(context.Response.StatusCode), ProblemAnswers.DefaultDetail(context));
    }

    private static void MapEndpoints(WebApplication app, ServerMetrics metrics, ServerOptions options)
    {
        // Route groups per concern; every /v1 answer may be a problem document (RFC 7807) for these statuses.
        var v1 = app.MapGroup("/v1")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithRequestLimits(options);
        var zoom = new QueryParameter("zoom", JsonSchemaType.Integer, "Scale output images by N (nearest neighbour), 1..16. Default 1.");
        var columns = new QueryParameter("columns", JsonSchemaType.Integer, "Images per grid row.");
        var pngOrJson = new QueryParameter("format", JsonSchemaType.String, "png (default) or json (data URLs).", "png", "json");

        var images = v1.MapGroup(string.Empty).WithTags("Images")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        images.MapPost("/encode", (HttpContext c, ApiHandlers h) => h.EncodeAsync(c))
            .WithName("Encode")
            .WithSummary("Encode images to latents")
            .WithDescription("JSON latents, or a float32 N×D .npy with Accept: application/x-npy.")
            .WithMetadata(new ImageBody(), new BinaryAnswer(ApiHandlers.NpyType), new QueryParameter("batching", JsonSchemaType.String, "off skips the dynamic batcher (for comparisons).", "off"));
        images.MapPost("/reconstruct", (HttpContext c, ApiHandlers h) => h.ReconstructAsync(c))
            .WithName("Reconstruct")
            .WithSummary("Reconstruct images: PNG plus X-AeOnnx-Mse / X-AeOnnx-Psnr headers")
            .WithDescription("One image: its reconstruction; several: inputs over reconstructions. ?format=json gives per-image MSE, PSNR, latent and both images.")
            .WithMetadata(new ImageBody(), new BinaryAnswer("image/png"), pngOrJson, zoom);

        images.MapPost("/score", (HttpContext c, ScoreHandlers h) => h.ScoreAsync(c))
            .WithName("Score")
            .WithTags("Anomaly")
            .WithSummary("Anomaly scores of images, a decision against the model's calibrated threshold, error heatmaps")
            .WithDescription("JSON: per image every score the model defines (mse, ssim = 1 - SSIM, mahalanobis, latent_knn, neg_elbo, combined), the chosen score and anomalous true/false. A calibrated model decides at fpr=0.01 unless fpr or threshold is given; an uncalibrated one decides only with threshold. ?heatmap=true adds a PNG data URL per image (image | reconstruction | error overlaid); ?format=png answers one image's heatmap with X-AeOnnx-Score, X-AeOnnx-Threshold and X-AeOnnx-Anomalous headers.")
            .WithMetadata(
                new ImageBody(),
                new BinaryAnswer("image/png"),
                new QueryParameter("score", JsonSchemaType.String, "The score that ranks and decides. Default: the model's calibrated score, else mse.", "mse", "ssim", "mahalanobis", "neg_elbo", "combined"),
                new QueryParameter("fpr", JsonSchemaType.Number, "Decide at the calibrated threshold for this false-positive rate on normal images, 0 < fpr < 1. Default 0.01 for a calibrated model."),
                new QueryParameter("threshold", JsonSchemaType.Number, "Decide at this value of the score instead (alternative to fpr)."),
                new QueryParameter("heatmap", JsonSchemaType.Boolean, "true adds each image's heatmap as a PNG data URL."),
                new QueryParameter("format", JsonSchemaType.String, "json (default) or png (one image's heatmap).", "json", "png"),
                new QueryParameter("zoom", JsonSchemaType.Integer, "Heatmap pixel repetition 1..16. Default: panels about 128 pixels high."));

        var latents = v1.MapGroup(string.Empty).WithTags("Latents")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        latents.MapPost("/decode", (HttpContext c, ApiHandlers h) => h.DecodeAsync(c))
            .WithName("Decode")
            .WithSummary("Decode latents to a PNG (one latent) or a grid")
            .WithMetadata(new JsonBody(typeof(DecodeRequest)))
            .WithMetadata(new BinaryAnswer("image/png"), pngOrJson, zoom);
        latents.MapPost("/interpolate", (HttpContext c, ApiHandlers h) => h.InterpolateAsync(c))
            .WithName("Interpolate")
            .WithSummary("Interpolate between images or latents: PNG grid, GIF or frames")
            .WithDescription("Two or more images (multipart), or key latents as JSON. The body's steps and mode, or the query's.")
            .WithMetadata(new JsonBody(typeof(InterpolateRequest)))
            .WithMetadata(
                new ImageBody(),
                new BinaryAnswer("image/png", "image/gif"),
                new QueryParameter("steps", JsonSchemaType.Integer, "Frames per segment. Default 8."),
                new QueryParameter("mode", JsonSchemaType.String, "Spherical (default) or linear interpolation.", "slerp", "lerp"),
                new QueryParameter("format", JsonSchemaType.String, "png (grid, default), gif (loops), frames or json (latents and data URLs).", "png", "gif", "frames", "json"),
                new QueryParameter("delay", JsonSchemaType.Integer, "GIF frame delay in 1/100 s, 1..500. Default 10."),
                zoom,
                columns);
        latents.MapPost("/sample", (HttpContext c, ApiHandlers h) => h.SampleAsync(c))
            .WithName("Sample")
            .WithSummary("Sample new images (VAE prior, AE training-set Gaussian) with a temperature")
            .WithDescription("Without a seed each request draws a random one; the answer names it (X-AeOnnx-Seed, and seed in JSON).")
            .WithMetadata(new JsonBody(typeof(SampleRequest), Optional: true))
            .WithMetadata(
                new BinaryAnswer("image/png"),
                new QueryParameter("count", JsonSchemaType.Integer, "Images to draw. Default 8."),
                new QueryParameter("seed", JsonSchemaType.Integer, "Seed of the draw. Default: a random one."),
                new QueryParameter("temperature", JsonSchemaType.Number, "Scales each draw's distance from the mean, 0..10. Default 1."),
                new QueryParameter("from", JsonSchemaType.String, "The distribution: the training-set latent Gaussian (fitted), a VAE's prior, or auto.", "auto", "fitted", "prior"),
                pngOrJson,
                zoom,
                columns);
        latents.MapPost("/arithmetic", (HttpContext c, ApiHandlers h) => h.ArithmeticAsync(c))
            .WithName("Arithmetic")
            .WithSummary("Latent arithmetic: start + Σ weight × (class centroid − latent mean | latent)")
            .WithDescription("JSON {latent, image}, or the PNG with Accept: image/png or ?format=png.")
            .WithMetadata(new JsonBody(typeof(ArithmeticRequest)))
            .WithMetadata(new BinaryAnswer("image/png"), new QueryParameter("format", JsonSchemaType.String, "json (default) or png.", "json", "png"), zoom);
        latents.MapGet("/map", (HttpContext c, ApiHandlers h) => h.MapAsync(c))
            .WithName("Map")
            .WithSummary("2-D PCA map of the model's class centroids with decoded thumbnails")
            .WithMetadata(zoom);

        var model = v1.MapGroup(string.Empty).WithTags("Model");
        model.MapGet("/model", (HttpContext c, ApiHandlers h) => h.ModelInfo(c))
            .WithName("Model")
            .WithSummary("The served model: name, kind, checksums, generation, swaps, last refused folder, classes");
        // The explorer's map of images (helper explore's endpoints), a concern of its own.
        ExploreHandlers.Map(v1.MapGroup(string.Empty).WithTags("Explore")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity));

        model.MapPost("/admin/reload", (HttpContext c, ApiHandlers h) => h.ReloadAsync(c))
            .WithName("Reload")
            .WithTags("Admin")
            .WithSummary("Reload the model from its folder or pointer file")
            .WithDescription("swapped is false when the folder is the one served, unchanged. 404 when the server has no admin token.")
            .WithMetadata(new AdminOnly())
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        // Health through ASP.NET Core's health checks (HealthCheckService runs the registered checks), served by
        // endpoints of our own so they are in the OpenAPI document; GET and HEAD, as probes and load balancers use.
        // Liveness runs no check (the process answers); readiness runs the model's.
        string[] probeMethods = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/healthz", probeMethods, async (HttpContext context, HealthCheckService health) =>
        {
            await health.CheckHealthAsync(_ => false, context.RequestAborted);
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Text("ok\n");
        }).WithName("Liveness").WithTags("Health").WithMetadata(new BinaryAnswer("text/plain")).WithSummary("Liveness: the process answers");
        app.MapMethods("/readyz", probeMethods, async (HttpContext context, HealthCheckService health) =>
        {
            var report = await health.CheckHealthAsync(check => check.Tags.Contains(ModelReadyCheck.Tag), context.RequestAborted);
            context.Response.Headers.CacheControl = "no-store";
            var entry = report.Entries.Values.FirstOrDefault();
            return report.Status == HealthStatus.Healthy
                ? TypedResults.Text($"ready: {entry.Description}\n")
                : throw ApiException.Unavailable(entry.Description ?? "Not ready.");
        }).WithName("Readiness").WithTags("Health").WithMetadata(new BinaryAnswer("text/plain")).ProducesProblem(StatusCodes.Status503ServiceUnavailable).WithSummary("Readiness: the served model has answered a real request through the service and the server is not stopping");
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapOpenApi();
        app.MapGet("/", () => ExplorerFiles.Serve("index.html")).ExcludeFromDescription();
        app.MapGet("/favicon.ico", () => ExplorerFiles.Serve("favicon.svg")).ExcludeFromDescription();
        app.MapGet("/explorer/{name}", (string name) => ExplorerFiles.Serve(name)).ExcludeFromDescription();
    }
}
