using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AeOnnx.Latents;

namespace AeOnnx.ML.Internal;

/// <summary>
/// Everything a fitted or saved AeOnnx mapping needs to be rebuilt: columns, sizes, the model's
/// identity and shapes, the policy and the options. Saved as one JSON object per mapping in the
/// zip entry <see cref="PipelinePayload.EntryName"/>; the ML.NET <c>CustomMapping</c> that stands in
/// for the transformer carries only <see cref="ContractName"/>, a short key into that payload.
/// </summary>
internal sealed record MappingSpec
{
    public const string ContractPrefix = "AeOnnx/2|";

    public required OperationKind Kind { get; init; }

    /// <summary>What the input column holds: a pixel/latent vector, an image file path, or an ML.NET MLImage.</summary>
    public MappingInput Input { get; init; } = MappingInput.Vector;

    /// <summary>Input column names: one, or two for <see cref="OperationKind.Interpolate"/>.</summary>
    public required string[] InputColumns { get; init; }

    public required string OutputColumn { get; init; }

    /// <summary>Values per input row: 0 for a path or image column, else the known vector size.</summary>
    public required int InputSize { get; init; }

    /// <summary>Values per output row: 0 for a scalar, else the known vector size.</summary>
    public required int OutputSize { get; init; }

    /// <summary>The absolute folder in use in this process; never saved (the payload records a relative or embedded location).</summary>
    [JsonIgnore]
    public string ModelDirectory { get; init; } = "";

    /// <summary>True when the folder was named for the saved model by <see cref="AeOnnxLoadOptions.ModelDirectories"/>: <see cref="AutoencoderModelPolicy.Compatible"/> then accepts another manifest name.</summary>
    [JsonIgnore]
    public bool ExplicitlyMapped { get; init; }

    /// <summary>
    /// True when the mapping's output is a latent column that stages other than AeOnnx transforms come
    /// after in the pipeline (a trainer, a normalizer fitted on the latents): a model with another
    /// encoder (another latent basis) is then refused unless <see cref="AllowLatentBasisChange"/>.
    /// Worked out from the pipeline each time it is bound or loaded; never saved.
    /// </summary>
    [JsonIgnore]
    public bool FeedsTrainedStages { get; init; }

    /// <summary>The user said explicitly that the stages after this mapping were refit for a new latent basis (or do not depend on it): the change is allowed and logged as a warning.</summary>
    [JsonIgnore]
    public bool AllowLatentBasisChange { get; init; }

    public string ModelName { get; init; } = "";

    public string EncoderSha256 { get; init; } = "";

    public string DecoderSha256 { get; init; } = "";

    /// <summary>Model input channels, height, width and latent size at fit time (0: unknown, from a version-1 zip).</summary>
    public int Channels { get; init; }

    public int Height { get; init; }

    public int Width { get; init; }

    public int LatentDim { get; init; }

    /// <summary>The manifest's preprocessing rules in one comparable string (<see cref="ModelBinding.Preprocessing"/>); empty when unknown.</summary>
    public string Preprocessing { get; init; } = "";

    public AutoencoderModelPolicy Policy { get; init; } = AutoencoderModelPolicy.Pinned;

    public string Device { get; init; } = "auto";

    public int BatchSize { get; init; } = RunLimits.DefaultBatchSize;

    /// <summary>ORT intra-op threads (0: ORT's default).</summary>
    public int IntraOpThreads { get; init; }

    public float T { get; init; }

    public InterpolationMode Mode { get; init; } = InterpolationMode.Spherical;

    public AutoencoderBadImageHandling BadImages { get; init; } = AutoencoderBadImageHandling.Throw;

    /// <summary>The folder relative image paths are resolved against, as the user gave it; empty: as given.</summary>
    public string ImageFolder { get; init; } = "";

    /// <summary>The text column added under <see cref="AutoencoderBadImageHandling.ErrorColumn"/>; empty otherwise.</summary>
    public string ErrorColumn { get; init; } = "";

    [JsonIgnore]
    public string ModelIdentity => $"{EncoderSha256}+{DecoderSha256}";

    [JsonIgnore]
    public bool NeedsModel => Kind != OperationKind.Interpolate;

    [JsonIgnore]
    public bool HasErrorColumn => BadImages == AutoencoderBadImageHandling.ErrorColumn && ErrorColumn.Length > 0;

    /// <summary>The ML.NET contract name: a hash of the saved JSON, so equal mappings share one generated factory.</summary>
    [JsonIgnore]
    public string ContractName =>
        ContractPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson()))).Substring(0, 32);

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
