using System.Text.Json.Nodes;

namespace AeOnnx.Tests.Support;

/// <summary>A complete model folder built from <see cref="OnnxBuilder"/> graphs and a written manifest: any shape, no Python.</summary>
internal static class SyntheticModel
{
    public static TempFolder Create(int channels, int height, int width, int latentDim, float[]? mean = null, float[]? std = null)
    {
        var temp = new TempFolder();
        File.WriteAllBytes(temp.File("encoder.onnx"), OnnxBuilder.Encoder(channels, height, width, latentDim));
        File.WriteAllBytes(temp.File("decoder.onnx"), OnnxBuilder.Decoder(latentDim, channels, height, width));
        mean ??= new float[channels];
        std ??= Enumerable.Repeat(1f, channels).ToArray();
        var manifest = new JsonObject
        {
            ["format"] = "aeonnx.model/1",
            ["name"] = $"synthetic-{channels}x{height}x{width}",
            ["kind"] = "ae",
            ["input"] = new JsonObject
            {
                ["channels"] = channels,
                ["height"] = height,
                ["width"] = width,
                ["color"] = channels == 1 ? "gray" : "rgb",
                ["layout"] = "NCHW",
                ["scale"] = 255.0,
                ["mean"] = new JsonArray(mean.Select(v => (JsonNode)v).ToArray()),
                ["std"] = new JsonArray(std.Select(v => (JsonNode)v).ToArray()),
                ["resize"] = "bilinear",
                ["gray"] = "bt601",
                ["alpha"] = "ignore",
            },
            ["output"] = new JsonObject { ["activation"] = "sigmoid" },
            ["latent"] = new JsonObject { ["dim"] = latentDim },
            ["encoder"] = new JsonObject { ["file"] = "encoder.onnx", ["sha256"] = "", ["input"] = "image", ["outputs"] = new JsonArray("latent"), ["opset"] = 17 },
            ["decoder"] = new JsonObject { ["file"] = "decoder.onnx", ["sha256"] = "", ["input"] = "latent", ["output"] = "image", ["opset"] = 17 },
        };
        TestModels.WriteManifest(temp.Path, manifest);
        TestModels.Rehash(temp.Path);
        return temp;
    }
}
