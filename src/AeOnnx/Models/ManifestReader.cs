using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace AeOnnx.Models;

/// <summary>
/// The one reader of manifests: parses manifest.json (or a bare graph pair's <c>metadata_props</c>)
/// into <see cref="ManifestJson"/> and checks it field by field into a <see cref="ModelManifest"/>;
/// every refusal is a <see cref="ModelLoadException"/> naming the file, the field, the expected and
/// the found value. docs/manifest.schema.json states the same rules for other readers.
/// </summary>
internal static class ManifestReader
{
    public const string ManifestFileName = ModelManifest.FileName;
    public const string DefaultEncoderFile = "encoder.onnx";
    public const string DefaultDecoderFile = "decoder.onnx";

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = false,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Reads a manifest file under the loader's file rules (a regular, non-empty file).</summary>
    public static byte[] ReadFile(string path) => Runtime.ModelLoader.ReadFile(path, null, ModelLimits.MaxManifestBytes);

    /// <summary>Parses manifest bytes; every failure is a <see cref="ModelLoadException"/> naming the file.</summary>
    public static ManifestJson.Document Parse(ReadOnlySpan<byte> json, string file)
    {
        ManifestJson.Document? manifest;
        try
        {
            // Editors on Windows save UTF-8 with a byte order mark; the JSON reader refuses it, but
            // it says nothing about the content, so it is skipped.
            var text = json;
            if (text.StartsWith(Utf8Bom))
            {
                text = text[Utf8Bom.Length..];
            }

            manifest = JsonSerializer.Deserialize<ManifestJson.Document>(text, JsonOptions);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "(document)" : ex.Path.TrimStart('$', '.');
            var line = ex.LineNumber is { } l ? string.Create(CultureInfo.InvariantCulture, $" at line {l + 1}") : string.Empty;
            throw new ModelLoadException(file, where, "well-formed manifest JSON", $"invalid JSON{line} ({ex.Message})", ex);
        }

        return manifest ?? throw new ModelLoadException(file, "(document)", "a JSON object", "null");
    }

    public static ManifestJson.Input ParseInput(string json, string file, string key)
    {
        try
        {
            return JsonSerializer.Deserialize<ManifestJson.Input>(json, JsonOptions)
                ?? throw new ModelLoadException(file, key, "a JSON object", "null");
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException(file, key, "the manifest's input object as JSON", $"invalid JSON ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// Checks everything the manifest says by itself (the graphs are checked later) and returns it as a
    /// <see cref="ModelManifest"/>. Graph hashes a bare pair lacks are left empty for the loader to fill.
    /// </summary>
    public static ModelManifest Validate(ManifestJson.Document m, string file, bool requireHashes = true)
    {
        if (m.Format != ModelManifest.CurrentFormat)
        {
            throw new ModelLoadException(file, "format", Quote(ModelManifest.CurrentFormat), Quote(m.Format));
        }

        if (m.Kind is not ("ae" or "vae"))
        {
            throw new ModelLoadException(file, "kind", "\"ae\" or \"vae\"", Quote(m.Kind));
        }

        var kind = m.Kind == "vae" ? ModelKind.VariationalAutoencoder : ModelKind.Autoencoder;
        var input = m.Input ?? throw Missing(file, "input");
        var image = ImageSpecReader.ValidateInput(input, file, "input");

        var latent = m.Latent ?? throw Missing(file, "latent");
        var d = latent.Dim;
        if (d <= 0 || d > ModelLimits.MaxLatentDim)
        {
            throw new ModelLoadException(file, "latent.dim", $"an integer from 1 to {Num(ModelLimits.MaxLatentDim)}", Num(d));
        }

        CheckVector(latent.Mean, d, file, "latent.mean");
        CheckVector(latent.Std, d, file, "latent.std");
        CheckMatrix(latent.Covariance, d, file, "latent.covariance");
        CheckMatrix(latent.Cholesky, d, file, "latent.cholesky");
        if (latent.Cholesky is not null && latent.Mean is null)
        {
            throw Missing(file, "latent.mean");
        }

        if (latent.Cholesky is not null)
        {
            for (var i = 0; i < d; i++)
            {
                if (!(latent.Cholesky[i][i] > 0))
                {
                    throw new ModelLoadException(file, $"latent.cholesky[{i}][{i}]", "a positive diagonal", Num(latent.Cholesky[i][i]));
                }

                for (var j = i + 1; j < d; j++)
                {
                    if (latent.Cholesky[i][j] != 0)
                    {
                        throw new ModelLoadException(file, $"latent.cholesky[{i}][{j}]", "0 (lower-triangular)", Num(latent.Cholesky[i][j]));
                    }
                }
            }
        }

        var classes = new List<LatentClass>();
        if (latent.Classes is not null)
        {
            for (var i = 0; i < latent.Classes.Length; i++)
            {
                var c = latent.Classes[i] ?? throw Missing(file, $"latent.classes[{i}]");


                // JSON null reaches these non-nullable properties; after this check they hold values.
                if (string.IsNullOrEmpty(c.Label))
                {
                    throw Missing(file, $"latent.classes[{i}].label");
                }

                if (c.Centroid is null || c.Centroid.Length == 0)
                {
                    throw Missing(file, $"latent.classes[{i}].centroid");
                }

                CheckVector(c.Centroid, d, file, $"latent.classes[{i}].centroid");
                classes.Add(new LatentClass { Label = c.Label, Index = c.Index, Count = c.Count, Centroid = Array.AsReadOnly(c.Centroid) });
            }
        }

        var encoder = m.Encoder ?? throw Missing(file, "encoder");
        CheckPlainFileName(encoder.File, file, "encoder.file");
        if (requireHashes || encoder.Sha256 is not null)
        {
            CheckHash(encoder.Sha256, file, "encoder.sha256");
        }

        if (string.IsNullOrEmpty(encoder.Input))
        {
            throw Missing(file, "encoder.input");
        }


        var variational = kind == ModelKind.VariationalAutoencoder;
        var outputs = variational ? 2 : 1;
        if (encoder.Outputs is null || encoder.Outputs.Length != outputs || encoder.Outputs.Any(string.IsNullOrEmpty))
        {
            throw new ModelLoadException(
                file,
                "encoder.outputs",
                variational ? "two names (mean, logvar) for kind \"vae\"" : "one name (latent) for kind \"ae\"",
                encoder.Outputs is null ? "missing" : JsonSerializer.Serialize(encoder.Outputs));
        }

        var decoder = m.Decoder ?? throw Missing(file, "decoder");
        CheckPlainFileName(decoder.File, file, "decoder.file");
        if (requireHashes || decoder.Sha256 is not null)
        {
            CheckHash(decoder.Sha256, file, "decoder.sha256");
        }

        if (string.IsNullOrEmpty(decoder.Input))
        {
            throw Missing(file, "decoder.input");
        }

        if (string.IsNullOrEmpty(decoder.Output))
        {
            throw Missing(file, "decoder.output");
        }

        var anomaly = AeOnnx.Anomaly.AnomalyReader.Read(m.Anomaly, JsonOptions, file, kind, latent.Cholesky is not null && latent.Mean is not null);
        var name = string.IsNullOrEmpty(m.Name) ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))) ?? "model" : m.Name;
        return new ModelManifest
        {
            Name = name,
            Kind = kind,
            Image = image,
            OutputActivation = m.Output?.Activation ?? string.Empty,
            Latent = new LatentSpace
            {
                Dim = d,
                Mean = ReadOnly(latent.Mean),
                Std = ReadOnly(latent.Std),
                Covariance = ReadOnly(latent.Covariance),
                Cholesky = ReadOnly(latent.Cholesky),
                Classes = classes.AsReadOnly(),
            },
            Encoder = new GraphInfo { File = encoder.File, Sha256 = encoder.Sha256 ?? string.Empty, Input = encoder.Input, Outputs = Array.AsReadOnly(encoder.Outputs!.Select(o => o!).ToArray()), Opset = encoder.Opset },
            Decoder = new GraphInfo { File = decoder.File, Sha256 = decoder.Sha256 ?? string.Empty, Input = decoder.Input, Outputs = Array.AsReadOnly(new[] { decoder.Output }), Opset = decoder.Opset },
            Metrics = m.Metrics,
            Training = m.Training,
            Anomaly = anomaly,
            Source = requireHashes ? ManifestSource.ManifestFile : ManifestSource.GraphMetadata,
        };
    }

    internal static void CheckPlainFileName([NotNull] string? name, string file, string field)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw Missing(file, field);
        }

        // Only a plain name inside the folder: no separators, no "..", not rooted. A manifest must
        // never make the loader read (or hash) a file outside the model folder.
        if (!IO.PathRules.IsPlainFileName(name))
        {
            throw new ModelLoadException(file, field, "a plain file name inside the model folder", Quote(name));
        }
    }

    internal static void CheckHash([NotNull] string? hash, string file, string field)
    {
        if (hash is null)
        {
            throw Missing(file, field);
        }

        if (!IO.PathRules.IsSha256Hex(hash))
        {
            throw new ModelLoadException(file, field, "64 lowercase hex digits", Quote(hash));
        }
    }

    internal static void CheckVector(float[]? vector, int length, string file, string field)
    {
        if (vector is null)
        {
            return;
        }

        if (vector.Length != length)
        {
            throw new ModelLoadException(file, field, $"{length} values", $"{vector.Length} values");
        }

        for (var i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                throw new ModelLoadException(file, $"{field}[{i}]", "a finite number", Num(vector[i]));
            }
        }
    }

    private static void CheckMatrix(float[][]? matrix, int d, string file, string field)
    {
        if (matrix is null)
        {
            return;
        }

        if (matrix.Length != d)
        {
            throw new ModelLoadException(file, field, $"{d} rows", $"{matrix.Length} rows");
        }

        for (var i = 0; i < d; i++)
        {
            CheckVector(matrix[i] ?? throw Missing(file, $"{field}[{i}]"), d, file, $"{field}[{i}]");
        }
    }

    private static ReadOnlyCollection<float>? ReadOnly(float[]? vector) => vector is null ? null : Array.AsReadOnly(vector);

    private static ReadOnlyCollection<IReadOnlyList<float>>? ReadOnly(float[][]? matrix) =>
        matrix is null ? null : Array.AsReadOnly(matrix.Select(row => (IReadOnlyList<float>)Array.AsReadOnly(row)).ToArray());

    internal static ModelLoadException Missing(string file, string field) => new(file, field, "a value", "missing");

    internal static string Quote(string? value) => value is null ? "missing" : $"\"{value}\"";

    internal static string Num(double value) => value.ToString(CultureInfo.InvariantCulture);
}
