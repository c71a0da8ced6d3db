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
    private byte[] _photo = [];
    private Imaging.ImageConverter _photoConverter = null!;
    private Imaging.ImageConverter _photoFullConverter = null!;
    private float[] _photoTensor = [];
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

        // A 640×480 q90 JPEG with detail at every frequency, into the 32×32 RGB model's preprocessing
        // with and without DCT-domain downscaling.
        using (var photo = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(640, 480))
        {
            for (var y = 0; y < 480; y++)
            {
                for (var x = 0; x < 640; x++)
                {
                    var n = rng.Next(24);
                    photo[x, y] = new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)(100 + (100 * Math.Sin(x / 23.0)) + n), (byte)(128 + (90 * Math.Cos(y / 17.0)) - n), (byte)((x + y) / 5));
                }
            }

            using var jpeg = new MemoryStream();
            SixLabors.ImageSharp.ImageExtensions.SaveAsJpeg(photo, jpeg, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 90 });
            _photo = jpeg.ToArray();
        }

        using var rgb = Autoencoder.Load(Path.Combine(root, "models", "tiny-rgb"), new AutoencoderOptions { Device = Device.Cpu });
        _photoConverter = new Imaging.ImageConverter(rgb.Images.Input with { JpegDraft = true });
        _photoFullConverter = new Imaging.ImageConverter(rgb.Images.Input with { JpegDraft = false });
        _photoTensor = new float[rgb.PixelCount];
    }

    /// <summary>640×480 q90 JPEG → 32×32 RGB tensor with DCT-domain downscaling (<c>jpeg_draft</c>).</summary>
    [Benchmark]
    public void PreprocessPhotoDraft()
    {
        using var stream = new MemoryStream(_photo, writable: false);
        _photoConverter.LoadTensor(stream, _photoTensor);
    }

    /// <summary>The same JPEG decoded at full size, then resized.</summary>
    [Benchmark]
    public void PreprocessPhotoFull()
    {
        using var stream = new MemoryStream(_photo, writable: false);
        _photoFullConverter.LoadTensor(stream, _photoTensor);
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
