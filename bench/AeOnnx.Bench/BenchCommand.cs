using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AeOnnx.Bench;

/// <summary>Parses "MODE key=value..." and dispatches to one measurement.</summary>
internal static class BenchCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: AeOnnx.Bench MODE [model=DIR] [dir=DIR] [batch=N] [count=N] [threads=N] [reps=N]");
            Console.Error.WriteLine("modes: decode-only, model-only, library, mlnet, sweep, micro");
            return 2;
        }

        var opts = args.Skip(1).Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        string Get(string key, string fallback) => opts.TryGetValue(key, out var v) ? v : fallback;
        int GetInt(string key, int fallback) => int.Parse(Get(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

        var model = Get("model", "models/fashion-mnist-ae");
        var dir = Get("dir", "bench/data/fmnist-10k");
        var batch = GetInt("batch", 256);
        var threads = GetInt("threads", 0);
        var count = GetInt("count", 10000);
        var reps = GetInt("reps", 5);

        switch (args[0])
        {
            case "micro":
                // BenchmarkDotNet's short job: 3 warm-ups, 3 measured iterations; enough for medians
                // of sub-millisecond operations without making `make bench` take many minutes.
                // job=dry (bench-quick): one iteration each, a smoke run of the same code.
                var job = Get("job", "short") == "dry" ? BenchmarkDotNet.Jobs.Job.Dry : BenchmarkDotNet.Jobs.Job.ShortRun;
                var config = BenchmarkDotNet.Configs.ManualConfig.Create(BenchmarkDotNet.Configs.DefaultConfig.Instance)
                    .AddJob(job)
                    .WithOptions(BenchmarkDotNet.Configs.ConfigOptions.DisableOptimizationsValidator);
                var summary = BenchmarkDotNet.Running.BenchmarkRunner.Run<MicroBenchmarks>(config);
                foreach (var report in summary.Reports)
                {
                    var stats = report.ResultStatistics;
                    if (stats is not null)
                    {
                        Emit(new BenchResult("micro:" + report.BenchmarkCase.Descriptor.WorkloadMethod.Name, 1, stats.Median / 1e9, Note: $"allocated={report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase)}"));
                    }
                }

                return 0;
            case "decode-only":
                Emit(StageBenchmarks.DecodeOnly(model, dir));
                return 0;
            case "mlnet":
                Emit(MlNetBaseline.Run(model, dir, threads));
                return 0;
            case "model-only":
                foreach (var r in InMemoryBenchmarks.RawOnnxRuntime(model, batch, count, threads, reps))
                {
                    Emit(r);
                }

                return 0;
            case "library":
                foreach (var r in InMemoryBenchmarks.Library(model, batch, count, threads, reps))
                {
                    Emit(r);
                }

                return 0;
            case "sweep":
                foreach (var b in Get("batches", "1,4,16,64,256,1024").Split(',').Select(int.Parse))
                {
                    // Interleave raw and library per batch size so drift affects both alike.
                    foreach (var r in InMemoryBenchmarks.Sweep(model, b, count, threads, reps))
                    {
                        Emit(r);
                    }
                }

                return 0;
            default:
                Console.Error.WriteLine($"unknown mode '{args[0]}'");
                return 2;
        }
    }

    public static double Seconds(Stopwatch sw) => sw.Elapsed.TotalSeconds;

    /// <summary>The image files of a benchmark folder (every supported extension), in a fixed order.</summary>
    public static string[] ImageFiles(string dir) => Directory
        .EnumerateFiles(dir, "*", SearchOption.AllDirectories)
        .Where(AeOnnx.Imaging.ImageFormats.HasImageExtension)
        .Order(StringComparer.Ordinal)
        .ToArray();

    private static void Emit(BenchResult result) =>
        Console.WriteLine(JsonSerializer.Serialize(result, BenchJson.Default.BenchResult));
}
