using System.Net;
using AeOnnx.Server.Batching;
using AeOnnx.Server.Endpoints;
using AeOnnx.Server.Explorer;
using AeOnnx.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
        builder.Services.AddHealthChecks().AddCheck<ModelReadyCheck>("model", tags: [ModelReadyCheck.Tag]);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "AeOnnx model service";
            document.Info.Description = "Encode, decode, reconstruct, interpolate, sample and do latent arithmetic with the served autoencoder. Errors are RFC 7807 problem documents; responses name the model that served them in X-AeOnnx-* headers.";
            return Task.CompletedTask;
        }));
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
            app.UseMiddleware<RequestGuard>();
            MapEndpoints(app, metrics);
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

    private static void MapEndpoints(WebApplication app, ServerMetrics metrics)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/encode", (HttpContext c, ApiHandlers h) => h.EncodeAsync(c))
            .WithSummary("Encode images to latents")
            .WithDescription("Body: one image (Content-Type: image/*) or several (multipart/form-data). JSON latents, or a float32 .npy with Accept: application/x-npy. ?batching=off skips the dynamic batcher.");
        v1.MapPost("/decode", (HttpContext c, ApiHandlers h) => h.DecodeAsync(c))
            .WithSummary("Decode latents to a PNG (one latent) or a grid")
            .WithDescription("Body: {\"latents\": [[...D floats], ...], \"columns\": N}. ?format=json gives data URLs; ?zoom=N scales.");
        v1.MapPost("/reconstruct", (HttpContext c, ApiHandlers h) => h.ReconstructAsync(c))
            .WithSummary("Reconstruct images: PNG plus X-AeOnnx-Mse / X-AeOnnx-Psnr headers")
            .WithDescription("Body: image/* or multipart. ?format=json gives per-image MSE, PSNR, latent and both images.");
        v1.MapPost("/interpolate", (HttpContext c, ApiHandlers h) => h.InterpolateAsync(c))
            .WithSummary("Interpolate between images or latents: PNG grid, GIF or frames")
            .WithDescription("Body: two or more images (multipart) or {\"latents\": [...], \"steps\": 8, \"mode\": \"slerp\"}. ?steps, ?mode=lerp|slerp, ?format=png|gif|frames.");
        v1.MapPost("/sample", (HttpContext c, ApiHandlers h) => h.SampleAsync(c))
            .WithSummary("Sample new images (VAE prior, AE training-set Gaussian) with a temperature")
            .WithDescription("Body (optional): {\"count\": 8, \"seed\": 0, \"temperature\": 1.0}; ?format=json gives latents and data URLs.");
        v1.MapPost("/arithmetic", (HttpContext c, ApiHandlers h) => h.ArithmeticAsync(c))
            .WithSummary("Latent arithmetic: start + Σ weight × (class centroid − latent mean | latent)")
            .WithDescription("Body: {\"latent\": [...] | \"class\": \"Sneaker\", \"terms\": [{\"class\": \"Sandal\", \"weight\": 0.5}, {\"latent\": [...], \"weight\": -1}]}.");
        v1.MapGet("/model", (HttpContext c, ApiHandlers h) => h.ModelInfo(c))
            .WithSummary("The served model: name, kind, checksums, generation, swaps, last refused folder, classes");
        v1.MapGet("/map", (HttpContext c, ApiHandlers h) => h.MapAsync(c))
            .WithSummary("2-D PCA map of the model's class centroids with decoded thumbnails");
        ExploreHandlers.Map(v1);
        v1.MapPost("/admin/reload", (HttpContext c, ApiHandlers h) => h.ReloadAsync(c))
            .WithSummary("Reload the model from its folder or pointer file (Authorization: Bearer <admin token>)");

        // Health through ASP.NET Core's health checks (HealthCheckService runs the registered checks), served by
        // endpoints of our own so they are in the OpenAPI document; GET and HEAD, as probes and load balancers use.
        // Liveness runs no check (the process answers); readiness runs the model's.
        string[] probeMethods = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/healthz", probeMethods, async (HttpContext context, HealthCheckService health) =>
        {
            await health.CheckHealthAsync(_ => false, context.RequestAborted);
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Text("ok\n");
        }).WithName("Liveness").WithTags("Health").WithSummary("Liveness: the process answers");
        app.MapMethods("/readyz", probeMethods, async (HttpContext context, HealthCheckService health) =>
        {
            var report = await health.CheckHealthAsync(check => check.Tags.Contains(ModelReadyCheck.Tag), context.RequestAborted);
            context.Response.Headers.CacheControl = "no-store";
            var entry = report.Entries.Values.FirstOrDefault();
            return report.Status == HealthStatus.Healthy
                ? TypedResults.Text($"ready: {entry.Description}\n")
                : throw ApiException.Unavailable(entry.Description ?? "Not ready.");
        }).WithName("Readiness").WithTags("Health").WithSummary("Readiness: the served model has answered a real request through the service and the server is not stopping");
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapOpenApi();
        app.MapGet("/", () => ExplorerFiles.Serve("index.html")).ExcludeFromDescription();
        app.MapGet("/favicon.ico", () => ExplorerFiles.Serve("favicon.svg")).ExcludeFromDescription();
        app.MapGet("/explorer/{name}", (string name) => ExplorerFiles.Serve(name)).ExcludeFromDescription();
    }
}
