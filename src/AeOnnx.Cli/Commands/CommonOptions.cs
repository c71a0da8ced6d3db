using System.CommandLine;
using System.Text.RegularExpressions;
using AeOnnx.Cli.Jobs;

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
            var value = result.GetValueOrDefault<string>();
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

    /// <summary>The options as given, for the job.</summary>
    public ModelSettings Bind(ParseResult parse) =>
        new(parse.GetValue(Model), parse.GetValue(Device)!, parse.GetValue(BatchSize), parse.GetValue(Threads), parse.GetValue(Quiet));

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
