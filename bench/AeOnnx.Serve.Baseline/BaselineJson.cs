using System.Text.Json;
using System.Text.Json.Serialization;

namespace AeOnnx.Serve.Baseline;

/// <summary>The answer: the image's latent vector.</summary>
internal sealed record EncodeResult(float[] Latent);

/// <summary>Source-generated JSON for the answer (camelCase, as ASP.NET Core's web defaults).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EncodeResult))]
internal sealed partial class BaselineJson : JsonSerializerContext;
