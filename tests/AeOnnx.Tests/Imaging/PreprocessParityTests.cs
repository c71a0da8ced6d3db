using System.Diagnostics;
using AeOnnx.Imaging;
using AeOnnx.Models;
using AeOnnx.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace AeOnnx.Tests.Imaging;

/// <summary>
/// The preprocessing contract across languages, on images generated here: Python's
/// <c>data.load_pixels</c> (PIL, <c>draft</c> when <c>jpeg_draft</c>) and .NET's converter (Skia,
/// DCT scaling, the Pillow resampler) must produce the same model pixels for photo-like JPEGs of
/// several sizes (baseline, progressive, gray), a WebP, a transparent GIF, a PNG that is resized;
/// the latent gap through the shipped RGB encoder is measured against the latent std.
/// </summary>
[Collection(SharedModelsCollection.Name)]
public sealed class PreprocessParityTests(SharedModels models, ITestOutputHelper output) : IDisposable
{
    // Python writes the images and, for each model spec, the uint8 model pixels (C, H, W) it computes.
    private const string Script = """
        import sys, json
        import numpy as np
        from PIL import Image
        from aeonnx_training.data import InputSpec, load_pixels
        out = sys.argv[1]
        specs = {"rgb": InputSpec(3, 32, 32, jpeg_draft=True), "rgb-full": InputSpec(3, 32, 32, jpeg_draft=False),
                 "gray": InputSpec(1, 28, 28, jpeg_draft=True), "rgb-bicubic": InputSpec(3, 32, 32, resize="bicubic"),
                 "rgb-nearest": InputSpec(3, 32, 32, resize="nearest")}
        def photo(h, w, seed):
            rng = np.random.default_rng(seed)
            y, x = np.mgrid[0:h, 0:w]
            img = np.stack([128 + 100 * np.sin(x / (17 + 9 * c) + seed) * np.cos(y / (13 + 5 * c) - c) for c in range(3)], -1)
            return np.clip(img + rng.normal(0, 10, (h, w, 3)), 0, 255).astype(np.uint8)
        files = []
        for i, (w, h) in enumerate([(640, 480), (1024, 768), (333, 250), (96, 64), (32, 32), (500, 37)]):
            files.append(f"photo-{w}x{h}.jpg"); Image.fromarray(photo(h, w, i)).save(f"{out}/{files[-1]}", quality=90)
        files.append("progressive.jpg"); Image.fromarray(photo(480, 640, 7)).save(f"{out}/progressive.jpg", quality=90, progressive=True)
        files.append("gray.jpg"); Image.fromarray(photo(300, 400, 8)[..., 1]).save(f"{out}/gray.jpg", quality=85)
        files.append("photo.webp"); Image.fromarray(photo(240, 320, 9)).save(f"{out}/photo.webp", quality=80)
        files.append("resized.png"); Image.fromarray(photo(90, 70, 10)).save(f"{out}/resized.png")
        a = np.zeros((40, 40), np.uint8); a[:, 20:] = 1; a[5:9, 5:30] = 2
        g = Image.fromarray(a, "P"); g.putpalette([250, 250, 250, 10, 120, 200, 200, 30, 30] + [0] * 759)
        files.append("transparent.gif"); g.save(f"{out}/transparent.gif", transparency=0)
        for name, spec in specs.items():
            for f in files:
                load_pixels(f"{out}/{f}", spec).tofile(f"{out}/{f}.{name}.raw")
        json.dump(files, open(f"{out}/files.json", "w"))
        """;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [PythonFact]
    public void Python_and_dotnet_give_the_same_model_pixels_and_latents()
    {
        RunPython();
        var files = System.Text.Json.JsonSerializer.Deserialize<string[]>(File.ReadAllText(_temp.File("files.json")))!;
        var model = models.Get(TestModels.TinyRgb);
        var baseInput = model.Images.Input;
        var specs = new Dictionary<string, AeOnnx.Models.ImageSpec>
        {
            ["rgb"] = baseInput with { JpegDraft = true },
            ["rgb-full"] = baseInput with { JpegDraft = false },
            ["gray"] = baseInput with { Channels = 1, Height = 28, Width = 28, Color = ImageColor.Gray, Mean = [0f], Std = [1f], JpegDraft = true },
            ["rgb-bicubic"] = baseInput with { Resize = ResizeMethod.Bicubic, JpegDraft = true },
            ["rgb-nearest"] = baseInput with { Resize = ResizeMethod.Nearest, JpegDraft = true },
        };

        var std = model.Manifest.Latent.Std!;
        var worstGap = 0.0;
        foreach (var (name, spec) in specs)
        {
            var converter = new ImageConverter(spec);
            foreach (var file in files)
            {
                var python = File.ReadAllBytes(_temp.File($"{file}.{name}.raw"));
                var dotnet = converter.LoadModelImage(_temp.File(file)).Pixels.ToArray();
                var planar = Planar(dotnet, spec.Channels);
                var differing = planar.Zip(python).Count(p => p.First != p.Second);
                output.WriteLine($"{name,-12} {file,-22} pixels differing: {differing}/{python.Length}");
                Assert.Equal(python, planar);

                // The tensor path (what encode uses) agrees with the model-image path.
                var tensor = converter.LoadTensor(_temp.File(file));
                Assert.Equal(python.Select(p => (p / spec.Scale - 0f) / 1f).ToArray(), tensor);
                if (spec.Channels == 3)
                {
                    var zPython = model.Encode(python.Select(p => p / 255f).ToArray());
                    var zDotnet = model.Encode(tensor);
                    var gap = zPython.Zip(zDotnet, (a, b) => Math.Abs(a - b)).Select((d, i) => d / std[i]).Average();
                    worstGap = Math.Max(worstGap, gap);
                }
            }
        }

        output.WriteLine($"worst mean latent gap / latent std: {worstGap:P4}");
        Assert.True(worstGap < 0.01, $"latent gap {worstGap:P4} of the latent std");
    }

    private void RunPython()
    {
        var start = new ProcessStartInfo(PythonFactAttribute.Interpreter!, ["-c", Script, _temp.Path])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["PYTHONPATH"] = Path.Combine(TestModels.RepoRoot, "training-scripts");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "python did not finish in 120 s");
        Assert.True(process.ExitCode == 0, stderr.Result);
    }

    private static byte[] Planar(byte[] interleaved, int channels)
    {
        var plane = interleaved.Length / channels;
        var planar = new byte[interleaved.Length];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < channels; c++)
            {
                planar[(c * plane) + i] = interleaved[(i * channels) + c];
            }
        }

        return planar;
    }
}
