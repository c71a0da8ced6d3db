using System.Text.Json;
using AeOnnx.IO;

namespace AeOnnx.Cli.Output;

/// <summary>What <c>aeonnx merge</c> needs to put shard outputs back in the order of the unsharded run.</summary>
/// <param name="Job">Fingerprint of the unsharded job (command, model, options, full input list).</param>
internal sealed record ShardInfo(string Format, int Shard, int Count, int Inputs, int Start, int Length, int Dim, string Job)
{
    public const string CurrentFormat = "aeonnx.shard/1";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    public static ShardInfo Read(string path)
    {
        var info = JsonSerializer.Deserialize<ShardInfo>(File.ReadAllText(path), Json);
        if (info is null || info.Format != CurrentFormat)
        {
            throw new InvalidDataException($"'{path}' is not an {CurrentFormat} file");
        }

        return info;
    }
}
