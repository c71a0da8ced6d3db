using System.CommandLine;
using System.Text.RegularExpressions;
using AeOnnx.Pipeline;

namespace AeOnnx.Cli.Commands;

/// <summary>The options every model-using verb takes: model folder, device, batch size, threads, quiet.</summary>
internal sealed partial class CommonOptions
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = "Model folder (manifest.json + encoder.onnx + decoder.onnx). Default: $AEONNX_MODEL, else the shipped models/fashion-mnist-ae",
        HelpName = "DIR",
    };

    public Option<string> Device { get; } = new("--device")
    {
        Description = "Where the model runs: auto (CUDA if available, else CPU), cpu, cuda or cuda:N",
        HelpName = "auto|cpu|cuda[:N]",
        DefaultValueFactory = _ => "auto",
    };

    public Option<int> BatchSize { get; } = new("--batch-size")
    {
        Description = "Images per model call",
        HelpName = "N",
        DefaultValueFactory = _ => RunLimits.DefaultBatchSize,
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "CPU threads: images decoded and batches run through the model at once, one thread each (0: the number of cores)",
        HelpName = "N",
        DefaultValueFactory = _ => 0,
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "No progress or summary; errors are still printed",
    };

    public CommonOptions()
    {
        Device.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (value is null || !DeviceRegex().IsMatch(value))
            {
                result.AddError($"--device must be auto, cpu, cuda or cuda:N, got '{value}'.");
            }
        });
        BatchSize.Validators.Add(result =>
        {
            // The bound for any model (an item of one float); the model's own bound is checked when it loads.
            if (result.GetValueOrDefault<int>() < 1 || result.GetValueOrDefault<int>() > RunLimits.MaxBatchValues)
            {
                result.AddError($"--batch-size must be between 1 and {RunLimits.MaxBatchValues}.");
            }
        });
        Threads.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0 || result.GetValueOrDefault<int>() > RunLimits.MaxWorkers)
            {
                result.AddError($"--threads must be between 0 (all cores) and {RunLimits.MaxWorkers}.");
            }
        });
    }

    /// <summary>
    /// Loads the model named by the options. Any refusal (missing folder, bad manifest, checksum or shape
    /// mismatch, unavailable device) is fatal, and happens before any image is read.
    /// </summary>
    public Autoencoder LoadModel(ParseResult parse, CliConsole console)
    {
        string folder = ModelLocator.Resolve(parse.GetValue(Model));
        bool quiet = parse.GetValue(Quiet);
        string device = parse.GetValue(Device)!;
        var options = new AutoencoderOptions
        {
            Device = AeOnnx.Device.Parse(device),
            // One ONNX Runtime thread per model run; folder jobs run one batch per thread at once
            // (PipelineOptions): for these small models that beats splitting each batch across cores.
            IntraOpThreads = 1,
            BatchSize = parse.GetValue(BatchSize),
            // With --device auto, falling back to the CPU (event ids 1 and 2) is the expected outcome, not news.
            Logger = quiet
                ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance
                : new Output.StderrLogger(console.Error, e => !(device == "auto" && e.Id is 1 or 2)),
        };
        try
        {
            return Autoencoder.Load(folder, options);
        }
        catch (Exception e) when (FailureTable.IsLoadRefusal(e))
        {
            throw CliException.FromModelLoad(e, folder, options.BatchSize);
        }
    }

    /// <summary>
    /// Options of the streaming file pipeline: decode workers and (on CPU) concurrent model runs from
    /// --threads, batch from --batch-size. On a GPU one run at a time.
    /// </summary>
    public PipelineOptions PipelineOptions(ParseResult parse, Autoencoder model)
    {
        int threads = parse.GetValue(Threads) is > 0 and var t ? t : Environment.ProcessorCount;
        return new()
        {
            DecodeWorkers = threads,
            InferenceWorkers = model.Device.Kind == DeviceKind.Cpu ? threads : 1,
            BatchSize = parse.GetValue(BatchSize),
        };
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Device);
        command.Options.Add(BatchSize);
        command.Options.Add(Threads);
        command.Options.Add(Quiet);
    }

    [GeneratedRegex("^(auto|cpu|cuda(:[0-9]+)?)$")]
    private static partial Regex DeviceRegex();
}
