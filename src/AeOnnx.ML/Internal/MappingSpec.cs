using System.Globalization;
using System.Text;
using AeOnnx.Latents;

namespace AeOnnx.ML.Internal;

/// <summary>
/// Everything a saved AeOnnx mapping needs to be rebuilt at load time. It travels inside the
/// ML.NET model zip as the contract name of a <c>CustomMapping</c> transformer, so it must be
/// self-delimiting (<see cref="Prefix"/> … <see cref="Suffix"/>) and escape every value.
/// </summary>
internal sealed record MappingSpec
{
    public const string Prefix = "AeOnnx/1|";
    public const string Suffix = "|end";

    public required OperationKind Kind { get; init; }

    /// <summary>Input column names: one, or two for <see cref="OperationKind.Interpolate"/>.</summary>
    public required string[] InputColumns { get; init; }

    public required string OutputColumn { get; init; }

    /// <summary>Values per input row: 0 for a text (path) column, else the known vector size.</summary>
    public required int InputSize { get; init; }

    /// <summary>Values per output row: 0 for a scalar, else the known vector size.</summary>
    public required int OutputSize { get; init; }

    /// <summary>Absolute model folder at save time; empty for model-free mappings.</summary>
    public string ModelDirectory { get; init; } = "";

    public string ModelName { get; init; } = "";

    /// <summary>SHA-256 of encoder and decoder (from the manifest), joined by '+': the model's identity.</summary>
    public string ModelIdentity { get; init; } = "";

    public string Device { get; init; } = "auto";

    public int BatchSize { get; init; } = 64;

    public float T { get; init; }

    public InterpolationMode Mode { get; init; } = InterpolationMode.Spherical;

    public bool NeedsModel => Kind != OperationKind.Interpolate;

    public string ToContractName()
    {
        var sb = new StringBuilder(Prefix);
        void Add(string key, string value) => sb.Append(key).Append('=').Append(Uri.EscapeDataString(value)).Append('|');
        Add("kind", Kind.ToString());
        Add("in", string.Join(",", InputColumns.Select(Uri.EscapeDataString)));
        Add("out", OutputColumn);
        Add("nin", InputSize.ToString(CultureInfo.InvariantCulture));
        Add("nout", OutputSize.ToString(CultureInfo.InvariantCulture));
        Add("model", ModelDirectory);
        Add("name", ModelName);
        Add("id", ModelIdentity);
        Add("device", Device);
        Add("batch", BatchSize.ToString(CultureInfo.InvariantCulture));
        Add("t", T.ToString("R", CultureInfo.InvariantCulture));
        Add("mode", Mode.ToString());
        sb.Length--; // last '|'
        sb.Append(Suffix);
        return sb.ToString();
    }

    public static MappingSpec Parse(string contract)
    {
        if (!contract.StartsWith(Prefix, StringComparison.Ordinal) || !contract.EndsWith(Suffix, StringComparison.Ordinal))
        {
            throw new FormatException($"Not an AeOnnx mapping contract: '{contract}'.");
        }

        var body = contract[Prefix.Length..^Suffix.Length];
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in body.Split('|'))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"Malformed AeOnnx mapping contract field '{part}' in '{contract}'.");
            }

            map[part[..eq]] = Uri.UnescapeDataString(part[(eq + 1)..]);
        }

        string Get(string key) => map.TryGetValue(key, out var v)
            ? v
            : throw new FormatException($"AeOnnx mapping contract lacks '{key}': '{contract}'.");

        return new MappingSpec
        {
            Kind = Enum.Parse<OperationKind>(Get("kind")),
            InputColumns = Get("in").Split(',').Select(Uri.UnescapeDataString).ToArray(),
            OutputColumn = Get("out"),
            InputSize = int.Parse(Get("nin"), CultureInfo.InvariantCulture),
            OutputSize = int.Parse(Get("nout"), CultureInfo.InvariantCulture),
            ModelDirectory = Get("model"),
            ModelName = Get("name"),
            ModelIdentity = Get("id"),
            Device = Get("device"),
            BatchSize = int.Parse(Get("batch"), CultureInfo.InvariantCulture),
            T = float.Parse(Get("t"), CultureInfo.InvariantCulture),
            Mode = Enum.Parse<InterpolationMode>(Get("mode")),
        };
    }
}
