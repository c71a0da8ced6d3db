using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using AeOnnx.IO;

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

    // Bounds on what a payload may hold: far above what SaveWithAeOnnx writes, far below what would
    // exhaust memory or disk. An embedded graph larger than the loader can read (one byte array) is refused.
    private const long MaxPayloadBytes = 16L * 1024 * 1024;
    private const int MaxMappings = 1024;
    private const int MaxEmbeddedFiles = 16;
    private const long MaxEmbeddedFileBytes = 0x7FFFFFC7;
    private const int MaxFolderChars = 4096;
    private const int MaxNameChars = 1024;
    private const int MaxBatchSize = 65536;

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
                    var files = model.Manifest.Source == Models.ManifestSource.ManifestFile
                        ? new[] { "manifest.json", model.Manifest.Encoder.File, model.Manifest.Decoder.File }
                        : new[] { model.Manifest.Encoder.File, model.Manifest.Decoder.File };
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
            var expected = name == model.Manifest.Encoder.File ? model.Manifest.Encoder.Sha256 : name == model.Manifest.Decoder.File ? model.Manifest.Decoder.Sha256 : null;
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

    /// <summary>Reads the payload of a saved zip; null when the zip has none (no AeOnnx transformer was saved in it).</summary>
    /// <exception cref="FormatException">The payload is not valid JSON of this format, or a field holds what it cannot (see <see cref="Validate"/>).</exception>
    public static PipelinePayload? Read(ZipArchive zip)
    {
        var entry = zip.GetEntry(EntryName);
        if (entry is null)
        {
            return null;
        }

        if (entry.Length > MaxPayloadBytes)
        {
            throw new FormatException($"{EntryName} is {entry.Length} bytes; at most {MaxPayloadBytes} are read.");
        }

        PipelinePayload? payload;
        try
        {
            using var stream = new CappedStream(entry.Open(), MaxPayloadBytes, EntryName);
            payload = JsonSerializer.Deserialize<PipelinePayload>(stream, MappingSpec.Json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{EntryName} is not valid JSON of format '{CurrentFormat}': {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new FormatException($"{EntryName} cannot be read from the zip: {e.Message}", e);
        }

        if (payload is null)
        {
            throw new FormatException($"{EntryName} is empty.");
        }

        if (!string.Equals(payload.Format, CurrentFormat, StringComparison.Ordinal))
        {
            throw new FormatException($"{EntryName}: format '{payload.Format}' is not '{CurrentFormat}'; the pipeline was saved by another version of AeOnnx.ML.");
        }

        Validate(payload);
        return payload;
    }

    /// <summary>
    /// Every field of every mapping holds what it claims before anything uses it: enums are defined
    /// values, sizes and counts are in range, SHA-256s are 64 lowercase hex digits, embedded file names
    /// are plain names, folders are relative. A field that does not is a <see cref="FormatException"/>
    /// naming the mapping and the field; nothing is read from or written to disk before this passes.
    /// </summary>
    internal static void Validate(PipelinePayload payload)
    {
        if (payload.Mappings is null || payload.Mappings.Count > MaxMappings)
        {
            throw new FormatException($"{EntryName}: Mappings must be a list of at most {MaxMappings} mappings.");
        }

        for (var i = 0; i < payload.Mappings.Count; i++)
        {
            var where = $"{EntryName}: Mappings[{i}]";
            var mapping = payload.Mappings[i] ?? throw new FormatException($"{where} is null.");
            var spec = mapping.Spec ?? throw new FormatException($"{where}.Spec is missing.");
            ValidateSpec(spec, $"{where}.Spec");
            if (mapping.Contract is null || mapping.Contract != spec.ContractName)
            {
                throw new FormatException($"{where}: the contract does not match its spec; the file was edited or damaged.");
            }

            if (mapping.RelativeFolder is { } relative
                && (relative.Length == 0 || relative.Length > MaxFolderChars || relative.Contains('\0', StringComparison.Ordinal) || Path.IsPathRooted(relative) || relative.Contains('\\', StringComparison.Ordinal)))
            {
                throw new FormatException($"{where}.RelativeFolder must be a relative folder with forward slashes (at most {MaxFolderChars} characters).");
            }

            if (mapping.EmbeddedFiles is null || mapping.EmbeddedFiles.Length > MaxEmbeddedFiles)
            {
                throw new FormatException($"{where}.EmbeddedFiles must be a list of at most {MaxEmbeddedFiles} file names.");
            }

            if (mapping.Embedded is { } embedded)
            {
                // A zip entry prefix only (never a path on disk): AeOnnx/models/<one plain name>/.
                var inner = embedded.StartsWith(ModelsPrefix, StringComparison.Ordinal) && embedded.EndsWith('/') ? embedded[ModelsPrefix.Length..^1] : null;
                if (!spec.NeedsModel || !PathRules.IsPlainFileName(inner) || inner.StartsWith('.'))
                {
                    throw new FormatException($"{where}.Embedded must be '{ModelsPrefix}<name>/' for a mapping that runs a model.");
                }

                if (mapping.EmbeddedFiles.Length == 0)
                {
                    throw new FormatException($"{where}.EmbeddedFiles is empty; an embedded model has its files listed.");
                }
            }

            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var name in mapping.EmbeddedFiles)
            {
                // Plain names that are neither hidden nor our temporary names, each once (case-blind:
                // two names one file on a case-insensitive disk would overwrite each other).
                if (!PathRules.IsPlainFileName(name) || name.StartsWith('.') || !seen.Add(name))
                {
                    throw new FormatException($"{where}.EmbeddedFiles: '{name}' is not a plain, visible, distinct file name.");
                }
            }
        }
    }

    private static void ValidateSpec(MappingSpec spec, string where)
    {
        void Require(bool condition, string field, string expected)
        {
            if (!condition)
            {
                throw new FormatException($"{where}.{field} must be {expected}.");
            }
        }

        Require(Enum.IsDefined(spec.Kind), nameof(spec.Kind), "one of " + string.Join(", ", Enum.GetNames<OperationKind>()));
        Require(Enum.IsDefined(spec.Input), nameof(spec.Input), "one of " + string.Join(", ", Enum.GetNames<MappingInput>()));
        Require(Enum.IsDefined(spec.Policy), nameof(spec.Policy), "one of " + string.Join(", ", Enum.GetNames<AutoencoderModelPolicy>()));
        Require(Enum.IsDefined(spec.Mode), nameof(spec.Mode), "one of " + string.Join(", ", Enum.GetNames<AeOnnx.Latents.InterpolationMode>()));
        Require(Enum.IsDefined(spec.BadImages), nameof(spec.BadImages), "one of " + string.Join(", ", Enum.GetNames<AutoencoderBadImageHandling>()));
        var columns = spec.Kind == OperationKind.Interpolate ? 2 : 1;
        Require(spec.InputColumns is not null && spec.InputColumns.Length == columns && spec.InputColumns.All(c => !string.IsNullOrEmpty(c) && c.Length <= MaxNameChars), nameof(spec.InputColumns), $"{columns} non-empty column name(s)");
        Require(!string.IsNullOrEmpty(spec.OutputColumn) && spec.OutputColumn.Length <= MaxNameChars, nameof(spec.OutputColumn), "a non-empty column name");
        Require(spec.InputSize is >= 0 and <= AeOnnx.Models.ModelLimits.MaxImageValues, nameof(spec.InputSize), $"0 to {AeOnnx.Models.ModelLimits.MaxImageValues}");
        Require(spec.OutputSize is >= 0 and <= AeOnnx.Models.ModelLimits.MaxImageValues, nameof(spec.OutputSize), $"0 to {AeOnnx.Models.ModelLimits.MaxImageValues}");
        Require(spec.Channels is >= 0 and <= 4 && spec.Height is >= 0 and <= AeOnnx.Models.ModelLimits.MaxImageSide && spec.Width is >= 0 and <= AeOnnx.Models.ModelLimits.MaxImageSide, "Channels/Height/Width", "a model input shape within the core's limits");
        Require(spec.LatentDim is >= 0 and <= AeOnnx.Models.ModelLimits.MaxLatentDim, nameof(spec.LatentDim), $"0 to {AeOnnx.Models.ModelLimits.MaxLatentDim}");
        Require(spec.BatchSize is >= 1 and <= MaxBatchSize, nameof(spec.BatchSize), $"1 to {MaxBatchSize}");
        Require(spec.IntraOpThreads is >= 0 and <= 256, nameof(spec.IntraOpThreads), "0 to 256");
        Require(float.IsFinite(spec.T), nameof(spec.T), "a finite number");
        Require(spec.Device is not null && AeOnnx.Device.TryParse(spec.Device, out _), nameof(spec.Device), "a device name (auto, cpu, cuda, cuda:N)");
        Require(spec.ModelName is not null && spec.ModelName.Length <= MaxNameChars && !spec.ModelName.Any(char.IsControl), nameof(spec.ModelName), "a model name without control characters");
        Require(spec.Preprocessing is not null && spec.ImageFolder is not null && spec.ErrorColumn is not null, "Preprocessing/ImageFolder/ErrorColumn", "strings");
        Require(spec.ImageFolder is not null && !spec.ImageFolder.Contains('\0', StringComparison.Ordinal), nameof(spec.ImageFolder), "a folder name without NUL");
        if (spec.NeedsModel)
        {
            Require(PathRules.IsSha256Hex(spec.EncoderSha256), nameof(spec.EncoderSha256), "64 lowercase hex digits");
            Require(PathRules.IsSha256Hex(spec.DecoderSha256), nameof(spec.DecoderSha256), "64 lowercase hex digits");
        }
    }

    /// <summary>
    /// Unpacks an embedded model into <c>ROOT/&lt;sha256 of its files&gt;/</c> and returns that folder. The
    /// folder's name is computed here from the entries' bytes (never taken from the payload), each file
    /// is written under a fresh temporary name (created exclusively, so a planted link is never
    /// followed) and renamed into place without replacing anything: a file already there is reused
    /// only when its SHA-256 is the entry's, otherwise unpacking is refused. The entries must include
    /// the graphs the spec names by SHA-256. The core checks the manifest against the graphs on load.
    /// </summary>
    /// <exception cref="FormatException">An entry is missing, too large, or the graphs are not the ones the spec names.</exception>
    /// <exception cref="ModelLoadException">The cache holds something else under the folder's name, or cannot be written.</exception>
    public static string Unpack(ZipArchive zip, Mapping mapping, string? cacheRoot)
    {
        var spec = mapping.Spec!;

        // First pass: hash every entry (bounded), so the folder name and the checks come from the bytes.
        var files = new List<(string Name, ZipArchiveEntry Entry, string Sha256)>();
        foreach (var name in mapping.EmbeddedFiles)
        {
            var entry = zip.GetEntry(mapping.Embedded + name)
                ?? throw new FormatException($"{EntryName}: embedded model entry '{mapping.Embedded + name}' is missing from the zip.");
            using var source = OpenEntry(entry);
            files.Add((name, entry, Convert.ToHexStringLower(SHA256.HashData(source))));
        }

        foreach (var (field, hash) in new[] { ("EncoderSha256", spec.EncoderSha256), ("DecoderSha256", spec.DecoderSha256) })
        {
            if (!files.Any(f => f.Sha256 == hash))
            {
                throw new FormatException($"{EntryName}: the embedded files of '{spec.ModelName}' hold no file with the spec's {field} {hash}; the zip was edited or damaged.");
            }
        }

        var listing = string.Join("\n", files.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => $"{f.Name} {f.Sha256}"));
        var folderName = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(listing)));
        var root = CacheRoot(cacheRoot);
        var folder = PathRules.ResolveInside(root, folderName) ?? throw new InvalidOperationException("A hex folder name always lies inside its root.");
        try
        {
            Directory.CreateDirectory(folder);
            if (new DirectoryInfo(folder).LinkTarget is not null)
            {
                throw new ModelLoadException(folder, null, "a folder AeOnnx created for an embedded model", "a symbolic link; AeOnnx never writes through a link");
            }

            foreach (var (name, entry, sha256) in files)
            {
                var target = PathRules.ResolveInside(folder, name) ?? throw new FormatException($"{EntryName}: '{name}' does not stay inside the cache folder.");
                if (!Reuse(target, sha256))
                {
                    Place(entry, target, sha256);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Cannot unpack the embedded model '{spec.ModelName}' into '{folder}': {e.Message}", e);
        }

        return folder;
    }

    /// <summary>The cache root: the caller's, or a per-user folder under the temp folder that only its owner can write.</summary>
    private static string CacheRoot(string? cacheRoot)
    {
        if (cacheRoot is not null)
        {
            var given = Path.GetFullPath(cacheRoot);
            Directory.CreateDirectory(given);
            return given;
        }

        var root = Path.Combine(Path.GetTempPath(), $"aeonnx-ml-models-{SafeUserName()}");
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(root);
                return root;
            }

            Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            // The temp folder is shared: a folder another user planted (or a link) must not become our cache.
            var info = new DirectoryInfo(root);
            var shared = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
            if (info.LinkTarget is not null || (File.GetUnixFileMode(root) & shared) != 0)
            {
                throw new ModelLoadException(root, null, "a private folder for unpacked models", "a link or a folder others can write into; set AeOnnxLoadOptions.EmbeddedModelCacheDirectory");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Cannot use '{root}' for unpacked models: {e.Message}; set AeOnnxLoadOptions.EmbeddedModelCacheDirectory.", e);
        }

        return root;
    }

    private static string SafeUserName()
    {
        var name = Environment.UserName;
        return PathRules.IsPlainFileName(name) ? name : Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name ?? "")))[..16];
    }

    /// <summary>True when <paramref name="target"/> already holds the entry's bytes; throws when it holds anything else.</summary>
    private static bool Reuse(string target, string sha256)
    {
        var info = new FileInfo(target);
        if (!info.Exists && info.LinkTarget is null)
        {
            return false;
        }

        if (info.LinkTarget is not null || !info.Exists || info.Attributes.HasFlag(FileAttributes.Directory))
        {
            throw new ModelLoadException(target, null, "a file AeOnnx unpacked", "a link or something other than a file; AeOnnx does not replace what it did not write");
        }

        var found = HashFile(target);
        return found == sha256
            ? true
            : throw new ModelLoadException(target, null, $"the embedded file (sha256 {sha256})", $"a file with sha256 {found}; AeOnnx does not replace what it did not write (delete the folder to unpack again)");
    }

    /// <summary>Writes the entry under a fresh temporary name and renames it to <paramref name="target"/> without replacing anything.</summary>
    private static void Place(ZipArchiveEntry entry, string target, string sha256)
    {
        var folder = Path.GetDirectoryName(target)!;
        var temp = Path.Combine(folder, $".aeonnx-unpack-{Guid.NewGuid():N}.tmp");
        try
        {
            string written;
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            using (var source = OpenEntry(entry))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = source.Read(buffer)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    file.Write(buffer, 0, read);
                }

                file.Flush(flushToDisk: true);
                written = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            if (written != sha256)
            {
                throw new FormatException($"{EntryName}: entry '{entry.FullName}' changed between two reads.");
            }

            try
            {
                File.Move(temp, target, overwrite: false);
            }
            catch (IOException) when (File.Exists(target) || new FileInfo(target).LinkTarget is not null)
            {
                // Another process unpacked the same model meanwhile: theirs must be the same bytes.
                Reuse(target, sha256);
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static string HashFile(string path)
    {
        using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read });
        if (stream.Length > MaxEmbeddedFileBytes)
        {
            return $"(a file of {stream.Length} bytes)";
        }

        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static Stream OpenEntry(ZipArchiveEntry entry)
    {
        if (entry.Length > MaxEmbeddedFileBytes)
        {
            throw new FormatException($"{EntryName}: embedded entry '{entry.FullName}' is {entry.Length} bytes; at most {MaxEmbeddedFileBytes} are unpacked.");
        }

        try
        {
            return new CappedStream(entry.Open(), MaxEmbeddedFileBytes, entry.FullName);
        }
        catch (InvalidDataException e)
        {
            throw new FormatException($"{EntryName}: embedded entry '{entry.FullName}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Reads at most a limit from a zip entry, whatever its header claims (a deflate bomb stops there).</summary>
    private sealed class CappedStream(Stream inner, long limit, string name) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            try
            {
                n = inner.Read(buffer[..(int)Math.Min(buffer.Length, limit + 1 - _read)]);
            }
            catch (InvalidDataException e)
            {
                throw new FormatException($"{EntryName}: entry '{name}' cannot be read: {e.Message}", e);
            }

            _read += n;
            return _read > limit ? throw new FormatException($"{EntryName}: entry '{name}' holds more than {limit} bytes.") : n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
