using AeOnnx.Latents;
using BenchmarkDotNet.Attributes;

namespace AeOnnx.Bench;

/// <summary>
/// Per-image pre/post-processing and latent math, measured by BenchmarkDotNet
/// (`AeOnnx.Bench micro`): the in-process costs that sit around every model call.
/// </summary>
[MemoryDiagnoser]
public class MicroBenchmarks : IDisposable
{
    private Autoencoder _model = null!;
    private byte[] _png = [];
    private float[] _tensor = [];
    private float[] _output = [];
    private float[] _a = [];
    private float[] _b = [];
    private float[] _mix = [];

    /// <summary>Loads the shipped model and one sample image into memory.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var root = RepoRoot();
        _model = Autoencoder.Load(Path.Combine(root, "models", "fashion-mnist-ae"), new AutoencoderOptions { Device = Device.Cpu });
        var file = Directory.GetFiles(Path.Combine(root, "samples", "images"), "*.png").Order(StringComparer.Ordinal).First();
        _png = File.ReadAllBytes(file);
        _tensor = new float[_model.PixelCount];
        _output = _model.Reconstruct(_model.Images.LoadTensor(file)).Output;
        var rng = new Random(3);
        _a = Enumerable.Range(0, _model.LatentDim).Select(_ => (float)rng.NextDouble()).ToArray();
        _b = Enumerable.Range(0, _model.LatentDim).Select(_ => (float)rng.NextDouble()).ToArray();
        _mix = new float[_model.LatentDim];
    }

    /// <summary>PNG bytes → decoded → model tensor (what every encoded file costs before ORT).</summary>
    [Benchmark]
    public void Preprocess()
    {
        using var stream = new MemoryStream(_png, writable: false);
        _model.Images.LoadTensor(stream, _tensor);
    }

    /// <summary>Decoder output → 8-bit image → PNG bytes.</summary>
    [Benchmark]
    public long Postprocess()
    {
        using var stream = new MemoryStream();
        _model.Images.SavePng(_output, stream);
        return stream.Length;
    }

    /// <summary>One spherical interpolation step between two latents.</summary>
    [Benchmark]
    public void Slerp() => LatentMath.Slerp(_a, _b, 0.37f, _mix);

    /// <summary>One linear interpolation step between two latents.</summary>
    [Benchmark]
    public void Lerp() => LatentMath.Lerp(_a, _b, 0.37f, _mix);

    /// <summary>Releases the model.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _model?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AeOnnx.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("run from inside the AeOnnx repository");
    }
}
