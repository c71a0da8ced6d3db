using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace AeOnnx.Bench;

/// <summary>
/// The model-only limit: raw ONNX Runtime on in-memory tensors, written as a competent ORT user
/// would (one session, OrtValue over a reused buffer), against the AeOnnx library on the same data.
/// </summary>
internal static class InMemoryBenchmarks
{
    public static IEnumerable<BenchResult> RawOnnxRuntime(string modelFolder, int batch, int count, int threads, int reps)
    {
        using var raw = new RawEncoder(modelFolder, threads);
        var input = RandomImages(batch, raw.PixelCount);
        return Repeat(reps, "model-only", batch, threads, count, () => raw.Run(input, batch));
    }

    public static IEnumerable<BenchResult> Library(string modelFolder, int batch, int count, int threads, int reps)
    {
        using var model = Autoencoder.Load(modelFolder, LibraryOptions(threads, batch));
        var input = RandomImages(batch, model.PixelCount);
        var latents = new float[batch * model.LatentDim];
        return Repeat(reps, "library", batch, threads, count, () => model.EncodeTensor(input, latents));
    }

    public static IEnumerable<BenchResult> Sweep(string modelFolder, int batch, int count, int threads, int reps)
    {
        using var raw = new RawEncoder(modelFolder, threads);
        using var single = new RawEncoder(modelFolder, 1);
        using var model = Autoencoder.Load(modelFolder, LibraryOptions(threads, batch));
        var workers = threads > 0 ? threads : Environment.ProcessorCount;
        var input = RandomImages(batch, model.PixelCount);
        var latents = new float[batch * model.LatentDim];
        var results = new List<BenchResult>();
        for (var i = 0; i < reps; i++)
        {
            results.AddRange(Repeat(1, "model-only", batch, threads, count, () => raw.Run(input, batch)));
            results.AddRange(RepeatParallel("model-only-parallel", batch, workers, count, () => single.Run(input, batch)));
            results.AddRange(Repeat(1, "library", batch, threads, count, () => model.EncodeTensor(input, latents)));
        }

        return results;
    }

    // The other way a skilled ORT user runs a small model on every core: one intra-op thread per
    // session run and one run per core at once (InferenceSession.Run is thread-safe), instead of
    // one run split across the cores; for small operators it avoids the threads' hand-offs.
    private static List<BenchResult> RepeatParallel(string mode, int batch, int workers, int count, Action runBatch)
    {
        var calls = Math.Max(workers, count / batch);
        for (var i = 0; i < 3; i++)
        {
            runBatch();
        }

        var sw = Stopwatch.StartNew();
        var next = -1;
        var threads = Enumerable.Range(0, workers).Select(_ => new Thread(() =>
        {
            while (Interlocked.Increment(ref next) < calls)
            {
                runBatch();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        sw.Stop();
        return [new BenchResult(mode, calls * batch, BenchCommand.Seconds(sw), batch, workers)];
    }

    // The raw session runs with ONNX Runtime's defaults, which spin intra-op threads; the library
    // turns spinning off by default (it would starve image decoding in the folder pipeline), so
    // the model-only comparison turns it back on to compare the same session settings.
    private static AutoencoderOptions LibraryOptions(int threads, int batch) =>
        new() { Device = Device.Cpu, IntraOpThreads = threads, BatchSize = batch, IntraOpSpinning = true };

    private static List<BenchResult> Repeat(int reps, string mode, int batch, int threads, int count, Action runBatch)
    {
        var calls = Math.Max(1, count / batch);
        for (var i = 0; i < Math.Min(calls, 3); i++)
        {
            runBatch(); // warm-up: first runs allocate ORT's arena and JIT the call path
        }

        var results = new List<BenchResult>();
        for (var r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                runBatch();
            }

            sw.Stop();
            results.Add(new BenchResult(mode, calls * batch, BenchCommand.Seconds(sw), batch, threads));
        }

        return results;
    }

    private static float[] RandomImages(int batch, int pixels)
    {
        var rng = new Random(42);
        var data = new float[batch * pixels];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)rng.NextDouble();
        }

        return data;
    }

    /// <summary>The encoder graph alone through the OrtValue API, nothing of AeOnnx in the loop.</summary>
    private sealed class RawEncoder : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly string _input;
        private readonly string _output;
        private readonly long[] _shape;

        public RawEncoder(string modelFolder, int threads)
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            if (threads > 0)
            {
                options.IntraOpNumThreads = threads;
            }

            _session = new InferenceSession(Path.Combine(modelFolder, "encoder.onnx"), options);
            _input = _session.InputNames[0];
            _output = _session.OutputNames[0];
            var dims = _session.InputMetadata[_input].Dimensions;
            _shape = [1, dims[1], dims[2], dims[3]];
            PixelCount = dims[1] * dims[2] * dims[3];
        }

        public int PixelCount { get; }

        public void Run(float[] input, int batch)
        {
            long[] shape = [batch, _shape[1], _shape[2], _shape[3]]; // per call: runs may be concurrent
            using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, [_input], [value], [_output]);
            _ = outputs[0].GetTensorDataAsSpan<float>()[0];
        }

        public void Dispose() => _session.Dispose();
    }
}
