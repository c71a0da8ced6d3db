using System.CommandLine;
using AeOnnx.Server;

namespace AeOnnx.Cli.Commands;

/// <summary><c>aeonnx serve</c>: the HTTP model service and latent explorer (src/AeOnnx.Server) on one model folder.</summary>
internal sealed class ServeCommand : VerbCommand
{
    private readonly Option<string?> model = new("--model", "-m")
    {
        Description = "Model folder, or a pointer file whose first line names one. Default: $AEONNX_MODEL, else the shipped models/fashion-mnist-ae",
        HelpName = "DIR|FILE",
    };

    private readonly Option<int> port = new("--port") { Description = "TCP port; 0 picks a free one", HelpName = "N", DefaultValueFactory = _ => 8080 };
    private readonly Option<string> host = new("--host") { Description = "Address to bind: an IP, localhost, or * for every interface", HelpName = "ADDR", DefaultValueFactory = _ => "127.0.0.1" };
    private readonly Option<bool> watch = new("--watch") { Description = "Swap in the model when its folder or pointer file changes (a refused folder keeps the old model)" };
    private readonly Option<int> maxBatch = new("--max-batch") { Description = "Most rows coalesced into one ONNX Runtime run (1: no batching)", HelpName = "N", DefaultValueFactory = _ => 32 };
    private readonly Option<double> maxDelay = new("--max-delay-ms") { Description = "Longest a request waits for companions before its batch runs", HelpName = "MS", DefaultValueFactory = _ => 2.0 };
    private readonly Option<int> queue = new("--queue") { Description = "Most rows waiting for inference; more get 429", HelpName = "N", DefaultValueFactory = _ => 4096 };
    private readonly Option<int> maxBodyMb = new("--max-body-mb") { Description = "Largest request body in MiB (413 above)", HelpName = "MB", DefaultValueFactory = _ => 16 };
    private readonly Option<double> timeout = new("--timeout-s") { Description = "Per-request time limit in seconds (503 above)", HelpName = "S", DefaultValueFactory = _ => 30.0 };
    private readonly Option<int> concurrency = new("--max-concurrent") { Description = "Most API requests handled at once (429 above)", HelpName = "N", DefaultValueFactory = _ => 512 };
    private readonly Option<string?> adminTokenFile = new("--admin-token-file") { Description = $"File holding the token for POST /v1/admin/reload (else ${AeOnnxServer.AdminTokenVariable}; neither: endpoint off)", HelpName = "FILE" };
    private readonly CommonOptions common = new();

    public ServeCommand(CliConsole console)
        : base("serve", "Serve a model over HTTP (encode, decode, reconstruct, interpolate, sample, arithmetic; metrics; hot swap) with the latent explorer page at /.", console)
    {
        Options.Add(model);
        Options.Add(port);
        Options.Add(host);
        Options.Add(watch);
        Options.Add(maxBatch);
        Options.Add(maxDelay);
        Options.Add(queue);
        Options.Add(maxBodyMb);
        Options.Add(timeout);
        Options.Add(concurrency);
        Options.Add(adminTokenFile);
        Options.Add(common.Device);
        Options.Add(common.Threads);
        Options.Add(common.BatchSize);
    }

    public override string Examples => """
          aeonnx serve                                   # shipped model, http://127.0.0.1:8080/
          aeonnx serve --model models/fashion-mnist-vae --port 0
          aeonnx serve --model /srv/current.txt --watch --host 0.0.0.0
          curl -s --data-binary @samples/images/bag-00018.png -H 'Content-Type: image/png' http://127.0.0.1:8080/v1/encode
        """;

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = new ServerOptions
        {
            ModelPath = ModelLocator.Resolve(parse.GetValue(model)),
            Port = parse.GetValue(port),
            Host = parse.GetValue(host)!,
            Watch = parse.GetValue(watch),
            MaxBatch = parse.GetValue(maxBatch),
            MaxDelay = TimeSpan.FromMilliseconds(parse.GetValue(maxDelay)),
            QueueCapacity = parse.GetValue(queue),
            MaxBodyBytes = parse.GetValue(maxBodyMb) * 1024L * 1024L,
            RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
            MaxConcurrentRequests = parse.GetValue(concurrency),
            ModelOptions = new AutoencoderOptions
            {
                Device = Device.Parse(parse.GetValue(common.Device)!),
                IntraOpThreads = parse.GetValue(common.Threads),
                BatchSize = parse.GetValue(common.BatchSize),
            },
        };
        AeOnnxServer server;
        try
        {
            options.AdminToken = AeOnnxServer.ReadAdminToken(parse.GetValue(adminTokenFile));
            server = await AeOnnxServer.StartAsync(options, cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw CliException.Usage(e.Message);
        }
        catch (ModelLoadException e)
        {
            throw CliException.Fatal($"cannot use model '{options.ModelPath}': {e.Message}", e);
        }
        catch (DeviceUnavailableException e)
        {
            throw CliException.Fatal($"device {e.Device} unavailable: {e.Reason}", e);
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
