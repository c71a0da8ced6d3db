using System.CommandLine;
using AeOnnx.Server;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx serve</c>: the HTTP model service and latent explorer (src/AeOnnx.Server) on one model folder.</summary>
internal sealed class ServeCommand : VerbCommand
{
    // The service's defaults live in ServerOptions; the options show them, never restate them.
    private static readonly ServerOptions Defaults = new();

    private readonly Option<string?> _model = new("--model", "-m")
    {
        Description = "Model folder, or a pointer file whose first line names one. Default: $AEONNX_MODEL, else the shipped models/fashion-mnist-ae",
        HelpName = "DIR|FILE",
    };

    private readonly Option<int> _port = new("--port") { Description = "TCP port; 0 picks a free one", HelpName = "N", DefaultValueFactory = _ => Defaults.Port };
    private readonly Option<string> _host = new("--host") { Description = "Address to bind: an IP, localhost, or * for every interface", HelpName = "ADDR", DefaultValueFactory = _ => Defaults.Host };
    private readonly Option<bool> _watch = new("--watch") { Description = "Swap in the model when its folder or pointer file changes (a refused folder keeps the old model)" };
    private readonly Option<int> _maxBatch = new("--max-batch") { Description = "Most rows coalesced into one ONNX Runtime run (1: no batching)", HelpName = "N", DefaultValueFactory = _ => Defaults.MaxBatch };
    private readonly Option<double> _maxDelay = new("--max-delay-ms") { Description = "Longest a request waits for companions before its batch runs (0: run with whatever queued while the last run was busy)", HelpName = "MS", DefaultValueFactory = _ => Defaults.MaxDelay.TotalMilliseconds };
    private readonly Option<int> _queue = new("--queue") { Description = "Most rows waiting for inference; more get 429", HelpName = "N", DefaultValueFactory = _ => Defaults.QueueCapacity };
    private readonly Option<int> _maxBodyMb = new("--max-body-mb") { Description = "Largest request body in MiB (413 above)", HelpName = "MB", DefaultValueFactory = _ => (int)(Defaults.MaxBodyBytes / (1024 * 1024)) };
    private readonly Option<double> _timeout = new("--timeout-s") { Description = "Per-request time limit in seconds (503 above)", HelpName = "S", DefaultValueFactory = _ => Defaults.RequestTimeout.TotalSeconds };
    private readonly Option<int> _concurrency = new("--max-concurrent") { Description = "Most API requests handled at once (429 above)", HelpName = "N", DefaultValueFactory = _ => Defaults.MaxConcurrentRequests };
    private readonly Option<long> _maxRequestPixels = new("--max-request-pixels") { Description = "Most pixels the images of one request may decode to, read from their headers before decoding (413 above)", HelpName = "N", DefaultValueFactory = _ => Defaults.MaxDecodedPixelsPerRequest };
    private readonly Option<long> _maxOutputPixels = new("--max-output-pixels") { Description = "Most pixels one answer may hold: frames x zoom^2 x model size, or a whole grid (422 above, before any work)", HelpName = "N", DefaultValueFactory = _ => Defaults.MaxOutputPixelsPerRequest };
    private readonly Option<int> _bodyBufferMb = new("--body-buffer-mb") { Description = "MiB of request bodies held in memory at once, server-wide (more wait)", HelpName = "MB", DefaultValueFactory = _ => (int)(Defaults.BodyBufferBytes >> 20) };
    private readonly Option<int> _workingMb = new("--working-mb") { Description = "MiB of working memory (decoding, tensors, answers) for requests in flight, server-wide (more wait; one request over it: 413)", HelpName = "MB", DefaultValueFactory = _ => (int)(Defaults.WorkingBytes >> 20) };
    private readonly Option<string?> _adminTokenFile = new("--admin-token-file") { Description = $"File holding the token for POST /v1/admin/reload (else ${AeOnnxServer.AdminTokenVariable}; neither: endpoint off)", HelpName = "FILE" };
    private readonly Option<string?> _explore = new("--explore") { Description = "Images for the explorer's map: a folder (labels from subfolders) or an IDX image file such as /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz; encoded and projected once per model generation", HelpName = "DIR|FILE" };
    private readonly Option<int> _exploreMax = new("--explore-max") { Description = "Most images of --explore taken (the first in a fixed order)", HelpName = "N", DefaultValueFactory = _ => Defaults.ExploreMaxImages };
    private readonly CommonOptions _common = new();

    public ServeCommand(CliConsole console)
        : base("serve", "Serve a model over HTTP (encode, decode, reconstruct, interpolate, sample, arithmetic; metrics; hot swap) with the latent explorer page at /.", console)
    {
        Options.Add(_model);
        Options.Add(_port);
        Options.Add(_host);
        Options.Add(_watch);
        Options.Add(_maxBatch);
        Options.Add(_maxDelay);
        Options.Add(_queue);
        Options.Add(_maxBodyMb);
        Options.Add(_timeout);
        Options.Add(_concurrency);
        Options.Add(_maxRequestPixels);
        Options.Add(_maxOutputPixels);
        Options.Add(_bodyBufferMb);
        Options.Add(_workingMb);
        Options.Add(_adminTokenFile);
        Options.Add(_explore);
        Options.Add(_exploreMax);
        Options.Add(_common.Device);
        Options.Add(_common.Threads);

        // No --batch-size: --max-batch (rows coalesced into one run) is the service's one batch setting.
    }

    public override string ExitCodeHelp => ExitCodes.ServeHelpText;

    public override string Examples => """
          aeonnx serve                                   # shipped model, http://127.0.0.1:8080/
          aeonnx serve --model models/fashion-mnist-vae --port 0
          aeonnx serve --model /srv/current.txt --watch --host 0.0.0.0
          aeonnx serve --explore /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz   # map of the 10,000 test images
          curl -s --data-binary @samples/images/bag-00018.png -H 'Content-Type: image/png' http://127.0.0.1:8080/v1/encode
        """;

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = new ServerOptions
        {
            ModelPath = ModelLocator.Resolve(parse.GetValue(_model)),
            Port = parse.GetValue(_port),
            Host = parse.GetValue(_host)!,
            Watch = parse.GetValue(_watch),
            MaxBatch = parse.GetValue(_maxBatch),
            MaxDelay = TimeSpan.FromMilliseconds(parse.GetValue(_maxDelay)),
            QueueCapacity = parse.GetValue(_queue),
            MaxBodyBytes = parse.GetValue(_maxBodyMb) * 1024L * 1024L,
            RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(_timeout)),
            MaxConcurrentRequests = parse.GetValue(_concurrency),
            MaxDecodedPixelsPerRequest = parse.GetValue(_maxRequestPixels),
            MaxOutputPixelsPerRequest = parse.GetValue(_maxOutputPixels),
            BodyBufferBytes = parse.GetValue(_bodyBufferMb) * 1024L * 1024L,
            WorkingBytes = parse.GetValue(_workingMb) * 1024L * 1024L,
            ExplorePath = parse.GetValue(_explore),
            ExploreMaxImages = parse.GetValue(_exploreMax),

            // As for folder jobs: one ONNX Runtime thread per run, --threads runs at once.
            InferenceWorkers = Math.Min(parse.GetValue(_common.Threads) is > 0 and var t ? t : Environment.ProcessorCount, RunLimits.MaxWorkers),
            ModelOptions = new AutoencoderOptions
            {
                Device = Device.Parse(parse.GetValue(_common.Device)!),
                IntraOpThreads = AeOnnx.Runtime.RunWorkers.ThroughputIntraOpThreads,
            },
        };
        AeOnnxServer server;
        try
        {
            options.AdminToken = AeOnnxServer.ReadAdminToken(parse.GetValue(_adminTokenFile));
            server = await AeOnnxServer.StartAsync(options, cancellationToken);
        }
        catch (ArgumentException e) when (e is not ArgumentOutOfRangeException { ActualValue: int })
        {
            // ServerOptions.Validate names the bad setting.
            throw CliException.Usage(e.Message);
        }
        catch (ListenException e)
        {
            // One line: Kestrel's reason names the address; the host's log of it (a stack trace) is held back by the server.
            throw CliException.Fatal($"cannot listen: {e.Message} Pick another --port (0 picks a free one) or stop what holds it.");
        }
        catch (Exception e) when (FailureTable.IsLoadRefusal(e))
        {
            throw CliException.FromModelLoad(e, options.ModelPath, options.ModelOptions.BatchSize);
        }

        await using (server)
        {
            await Console.Out.WriteLineAsync($"aeonnx serve: listening on {server.Url} (explorer at {server.Url}, API under {server.Url}v1/, metrics at {server.Url}metrics); Ctrl+C stops.");
            await Console.Out.FlushAsync(cancellationToken);
            try
            {
                await server.WaitForShutdownAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C / SIGTERM: the normal way to stop a server, not an interrupted job.
            }
        }

        return ExitCodes.Success;
    }
}
