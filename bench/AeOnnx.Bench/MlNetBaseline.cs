using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace AeOnnx.Bench;

/// <summary>
/// Baseline 2: ML.NET's own pipeline as its documentation shows it:
/// LoadImages → ResizeImages → ExtractPixels → ApplyOnnxModel, consumed through a cursor to the
/// end, latents copied out as a user would. ConvertToGrayscale is added only when a gray model reads
/// color files: a user whose files are already gray has no reason to add it (ML.NET's loader gives a
/// gray file equal R, G and B, so extracting one channel is the gray value).
/// </summary>
internal static class MlNetBaseline
{
    public static BenchResult Run(string modelFolder, string dir, int threads)
    {
        using var model = Autoencoder.Load(modelFolder, new AutoencoderOptions { Device = Device.Cpu });
        var (channels, height, width, dim) = (model.Channels, model.Height, model.Width, model.LatentDim);
        var inputName = model.Manifest.Encoder.Input;
        var outputName = model.Manifest.Encoder.Outputs[0];
        var files = BenchCommand.ImageFiles(dir);
        var grayFiles = IsGray(files[0]);

        var sw = Stopwatch.StartNew();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(files.Select(f => new ImageFile { Path = f }));
        IEstimator<ITransformer> pipeline = ml.Transforms.LoadImages("bitmap", imageFolder: null, inputColumnName: nameof(ImageFile.Path))
            .Append(ml.Transforms.ResizeImages("resized", width, height, inputColumnName: "bitmap"));
        var convert = channels == 1 && !grayFiles;
        if (convert)
        {
            pipeline = pipeline.Append(ml.Transforms.ConvertToGrayscale("gray", "resized"));
        }

        pipeline = pipeline
            .Append(ml.Transforms.ExtractPixels(
                inputName,
                convert ? "gray" : "resized",
                colorsToExtract: channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb,
                orderOfExtraction: ImagePixelExtractingEstimator.ColorsOrder.ARGB,
                scaleImage: 1f / 255f))
            .Append(ml.Transforms.ApplyOnnxModel(
                outputColumnNames: [outputName],
                inputColumnNames: [inputName],
                modelFile: Path.Combine(modelFolder, "encoder.onnx"),
                shapeDictionary: new Dictionary<string, int[]> { [inputName] = [1, channels, height, width], [outputName] = [1, dim] },
                gpuDeviceId: null,
                fallbackToCpu: true));

        var transformer = pipeline.Fit(data);
        var output = transformer.Transform(data);
        var latents = new float[files.Length * dim];
        var rows = 0;
        using (var cursor = output.GetRowCursor(output.Schema.Where(c => c.Name == outputName)))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(output.Schema[outputName]);
            var buffer = default(VBuffer<float>);
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                buffer.DenseValues().ToArray().CopyTo(latents, rows * dim);
                rows++;
            }
        }

        sw.Stop();
        (transformer as IDisposable)?.Dispose();
        return new BenchResult("mlnet-applyonnx", rows, BenchCommand.Seconds(sw), 1, threads, $"first={latents[0]:G6} grayscale-step={convert}");
    }

    private static bool IsGray(string file)
    {
        using var codec = SkiaSharp.SKCodec.Create(file);
        return codec?.Info.ColorType == SkiaSharp.SKColorType.Gray8;
    }

    private sealed class ImageFile
    {
        public string Path { get; set; } = "";
    }
}
