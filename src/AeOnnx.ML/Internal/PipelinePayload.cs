using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace AeOnnx.ML.Internal;

/// <summary>
/// The AeOnnx part of a saved pipeline: one JSON entry (<see cref="EntryName"/>) listing every
/// mapping by its contract name, with its spec and where its model is (relative folder and/or an
/// embedded copy under <see cref="ModelsPrefix"/>). Versioned by <see cref="CurrentFormat"/>.
/// </summary>
internal sealed class PipelinePayload
{
    public const string EntryName = "AeOnnx/pipeline.json";
    public const string ModelsPrefix = "AeOnnx/models/";
    public const string CurrentFormat = "aeonnx.ml.pipeline/2";

    public string Format { get; set; } = CurrentFormat;

    public List<Mapping> Mappings { get; set; } = [];

    internal sealed class Mapping
    {
        public string Contract { get; set; } = "";

        public MappingSpec? Spec { get; set; }

        /// <summary>The model folder relative to the zip's folder at save time (forward slashes); null when not known or not relative.</summary>
        public string? RelativeFolder { get; set; }

        /// <summary>The zip folder holding an embedded copy (e.g. <c>AeOnnx/models/name-0123abcd/</c>); null when not embedded.</summary>
        public string? Embedded { get; set; }

        /// <summary>The file names inside <see cref="Embedded"/>.</summary>
        public string[] EmbeddedFiles { get; set; } = [];
    }

    /// <summary>Adds the payload (and embedded models) to a zip written by ML.NET.</summary>
    public static void Write(ZipArchive zip, IEnumerable<AutoencoderTransformer> transformers, string? zipFolder, bool embed)
    {
        var payload = new PipelinePayload();
        var embedded = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in transformers.DistinctBy(t => t.Spec.ContractName))
        {
            var spec = t.Spec;
            var mapping = new Mapping { Contract = spec.ContractName, Spec = spec };
            if (spec.NeedsModel)
            {
                using var lease = t.Operation.Acquire();
                var model = lease.Model;
                if (zipFolder is not null)
                {
                    var relative = Path.GetRelativePath(zipFolder, model.Folder);
                    mapping.RelativeFolder = Path.IsPathRooted(relative) ? null : relative.Replace(Path.DirectorySeparatorChar, '/');
                }

                if (embed)
                {
                    var files = model.Model.HasManifest
                        ? new[] { "manifest.json", model.Model.Encoder.File, model.Model.Decoder.File }
                        : new[] { model.Model.Encoder.File, model.Model.Decoder.File };
                    var folder = $"{ModelsPrefix}{spec.ModelName}-{spec.EncoderSha256[..Math.Min(12, spec.EncoderSha256.Length)]}{spec.DecoderSha256[..Math.Min(12, spec.DecoderSha256.Length)]}/";
                    if (!embedded.ContainsKey(folder))
                    {
                        EmbedFolder(zip, model, spec, folder, files);
                        embedded[folder] = folder;
                    }

                    mapping.Embedded = folder;
                    mapping.EmbeddedFiles = files;
                }
            }

            payload.Mappings.Add(mapping);
        }

        var entry = zip.CreateEntry(EntryName, CompressionLevel.Optimal);
        using var stream = entry.Open();
        JsonSerializer.Serialize(stream, payload, new JsonSerializerOptions(MappingSpec.Json) { WriteIndented = true });
    }

    private static void EmbedFolder(ZipArchive zip, Autoencoder model, MappingSpec spec, string folder, string[] files)
    {
        foreach (var name in files)
        {
            var bytes = File.ReadAllBytes(Path.Combine(model.Folder, name));
            // The files may have been replaced since the model was loaded: embed only the graphs the
            // transformer was checked with.
            var expected = name == model.Model.Encoder.File ? model.Model.Encoder.Sha256 : name == model.Model.Decoder.File ? model.Model.Decoder.Sha256 : null;
            if (expected is { Length: > 0 } && !string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"AeOnnx column '{spec.OutputColumn}': cannot embed '{Path.Combine(model.Folder, name)}': its SHA-256 is no longer {expected} (the folder changed since the model was loaded).");
            }

            var entry = zip.CreateEntry(folder + name, CompressionLevel.Optimal);
            using var stream = entry.Open();
            stream.Write(bytes);
        }
    }

    /// <summary>Reads the payload of a saved zip; null when the zip has none (a version-1 zip).</summary>
    public static PipelinePayload? Read(ZipArchive zip)
    {
        var entry = zip.GetEntry(EntryName);
        if (entry is null)
        {
            return null;
        }

        using var stream = entry.Open();
        var payload = JsonSerializer.Deserialize<PipelinePayload>(stream, MappingSpec.Json)
            ?? throw new FormatException($"{EntryName} is empty.");
        if (!string.Equals(payload.Format, CurrentFormat, StringComparison.Ordinal))
        {
            throw new FormatException($"{EntryName}: format '{payload.Format}' is not '{CurrentFormat}'; the pipeline was saved by another version of AeOnnx.ML.");
        }

        if (payload.Mappings.Any(m => m.Spec is null || m.Contract != m.Spec.ContractName))
        {
            throw new FormatException($"{EntryName}: a mapping's contract does not match its spec; the file was edited or damaged.");
        }

        return payload;
    }

    /// <summary>Unpacks an embedded model into a content-addressed folder (reused when already there); the core checks the SHA-256s on load.</summary>
    public static string Unpack(ZipArchive zip, Mapping mapping, string? cacheRoot)
    {
        var spec = mapping.Spec!;
        var root = cacheRoot ?? Path.Combine(Path.GetTempPath(), "aeonnx-ml-models");
        var target = Path.Combine(root, $"{spec.EncoderSha256}-{spec.DecoderSha256}");
        if (mapping.EmbeddedFiles.All(f => File.Exists(Path.Combine(target, f))))
        {
            return target;
        }

        Directory.CreateDirectory(target);
        foreach (var name in mapping.EmbeddedFiles)
        {
            // Only plain file names: an edited payload must not write outside the folder.
            if (name.Length == 0 || name != Path.GetFileName(name) || name is "." or "..")
            {
                throw new FormatException($"{EntryName}: embedded file name '{name}' is not a plain file name.");
            }

            var entry = zip.GetEntry(mapping.Embedded + name)
                ?? throw new FormatException($"{EntryName}: embedded model entry '{mapping.Embedded + name}' is missing from the zip.");
            var temp = Path.Combine(target, $".{name}.{Guid.NewGuid():N}.tmp");
            using (var source = entry.Open())
            using (var file = File.Create(temp))
            {
                source.CopyTo(file);
            }

            File.Move(temp, Path.Combine(target, name), overwrite: true);
        }

        return target;
    }
}
