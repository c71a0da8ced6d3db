using System.Globalization;
using System.Text;
using AeOnnx.Models;

namespace AeOnnx.Cli.Jobs;

/// <summary><c>aeonnx info</c>: what a model folder holds and where it would run.</summary>
internal sealed class InfoJob(CliConsole console, ModelSettings settings)
{
    public int Run()
    {
        // Loading verifies the manifest, both SHA-256 checksums and the graphs' shapes: info shows a usable model.
        using var model = settings.Load(console);
        var m = model.Manifest;
        var input = m.Image;
        var text = new StringBuilder();
        void Line(string key, string? value) => text.Append(CultureInfo.InvariantCulture, $"{key,-14}{value}\n");
        static string Numbers(IEnumerable<float>? values) => values is null ? "-" : "[" + string.Join(", ", values.Select(v => v.ToString("G6", CultureInfo.InvariantCulture))) + "]";
        static string Number(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "-";

        Line("model", $"{model.Name} ({model.Folder})");
        Line("format", ModelManifest.CurrentFormat);
        Line("kind", model.IsVariational ? "vae (variational autoencoder; latent = encoder mean)" : "ae (autoencoder)");
        Line("input", $"{input.Channels}x{input.Height}x{input.Width} NCHW float32, color {ImageSpecReader.ColorName(input.Color)}");
        Line("preprocess", $"x = (pixel / {input.Scale.ToString("G6", CultureInfo.InvariantCulture)} - mean) / std, mean {Numbers(input.Mean)}, std {Numbers(input.Std)}");
        Line("resize", $"{ImageSpecReader.ResizeName(input.Resize)} (only when an image is not {input.Width}x{input.Height}); gray bt601; alpha ignore");
        Line("latent", $"{model.LatentDim} values" + (model.LatentDistribution is null ? ", no latent statistics" : ", training-set mean and Cholesky factor (sampling, Mahalanobis)"));
        Line("classes", model.Classes.Count == 0 ? "-" : string.Join(", ", model.Classes.Select(c => c.Label)));
        if (m.Metrics is { } metrics)
        {
            Line("metrics", $"test MSE {Number(metrics.Mse, "0.00000")}, PSNR {Number(metrics.Psnr, "0.00")} dB, SSIM {Number(metrics.Ssim, "0.000")}, "
                + $"PCA baseline MSE {Number(metrics.PcaMse, "0.00000")}"
                + (metrics.PcaRatio is null ? string.Empty : $" (model/PCA {Number(metrics.PcaRatio, "0.000")}x)")
                + (metrics.Elbo is null ? string.Empty : $", ELBO {Number(metrics.Elbo, "0.00")}")
                + (metrics.TestCount is null ? string.Empty : $" over {metrics.TestCount} images"));
            foreach (var warning in metrics.Warnings)
            {
                Line("warning", warning);
            }
        }

        Line("device", $"{settings.Device} -> {model.Device} ({model.ExecutionProvider})");
        Line("batch size", model.BatchSize.ToString(CultureInfo.InvariantCulture));
        var (encoder, decoder) = (m.Encoder, m.Decoder);
        var check = m.Source == ManifestSource.ManifestFile ? "verified" : "computed, no manifest";
        Line("encoder", $"{encoder.File}  sha256 {encoder.Sha256} ({check})  {encoder.Input} -> {string.Join(", ", encoder.Outputs)}, opset {encoder.Opset}");
        Line("decoder", $"{decoder.File}  sha256 {decoder.Sha256} ({check})  {decoder.Input} -> {decoder.Outputs[0]}, opset {decoder.Opset}");
        console.Out.Write(text.ToString());
        return ExitCodes.Success;
    }
}
