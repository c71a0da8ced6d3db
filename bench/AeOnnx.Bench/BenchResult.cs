using System.Text.Json.Serialization;

namespace AeOnnx.Bench;

/// <summary>One measurement: how many images in how many seconds, and under which settings.</summary>
internal sealed record BenchResult(string Mode, int Images, double Seconds, int Batch = 0, int Threads = 0, string? Note = null)
{
    public double ImagesPerSecond => Images / Seconds;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchResult))]
internal sealed partial class BenchJson : JsonSerializerContext;
