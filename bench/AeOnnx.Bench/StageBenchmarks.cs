using System.Diagnostics;

namespace AeOnnx.Bench;

/// <summary>The I/O stage limit: read and decode every file into model tensors, nothing else.</summary>
internal static class StageBenchmarks
{
    public static BenchResult DecodeOnly(string modelFolder, string dir)
    {
        using var model = Autoencoder.Load(modelFolder, new AutoencoderOptions { Device = Device.Cpu });
        var converter = model.Images;
        var files = BenchCommand.ImageFiles(dir);
        var sw = Stopwatch.StartNew();
        long checksum = 0;
        Parallel.ForEach(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new float[converter.PixelCount],
            (file, _, buffer) =>
            {
                converter.LoadTensor(file, buffer);
                return buffer;
            },
            buffer => Interlocked.Add(ref checksum, (long)buffer[0]));
        sw.Stop();
        return new BenchResult("decode-only", files.Length, BenchCommand.Seconds(sw), Threads: Environment.ProcessorCount);
    }
}
