using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AeOnnx.ML.Internal;
using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.ML;
using Xunit.Abstractions;

namespace AeOnnx.ML.Tests;

/// <summary>
/// A saved pipeline is data: a tampered zip (its AeOnnx/pipeline.json and its embedded model entries)
/// must never write outside the embedded-model cache, never replace a file AeOnnx did not write, and
/// fail only with the documented exception types.
/// </summary>
public sealed class SavedPipelineHostileTests(ITestOutputHelper output) : IDisposable
{
    private static readonly Lazy<byte[]> Saved = new(SaveEmbedded);

    // The cache sits deep inside a sandbox folder, so an escape of a few ".." still lands in the sandbox
    // (and is seen), and deeper ones aim at a marker name checked at the file-system root of the temp folder.
    private readonly TempFolder _sandbox = new();
    private readonly string _marker = "aeonnx-escape-" + Guid.NewGuid().ToString("N")[..12];

    public void Dispose()
    {
        AeOnnxModelCache.Clear();
        foreach (var place in EscapeTargets().Where(File.Exists))
        {
            File.Delete(place);
        }

        foreach (var place in EscapeTargets().Where(Directory.Exists))
        {
            Directory.Delete(place, recursive: true);
        }

        _sandbox.Dispose();
    }

    private string Cache => Path.Combine(_sandbox.Path, "a", "b", "c", "cache");

    private IEnumerable<string> EscapeTargets() =>
        [Path.Combine(Path.GetTempPath(), _marker), Path.Combine("/", _marker), Path.Combine(_sandbox.Path, _marker)];

    private static byte[] SaveEmbedded()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var t = ml.Transforms.Autoencoder();
        var model = t.LoadImages("Pixels", "ImagePath", TestData.FashionModel).Append(t.Encode("Latent", "Pixels", TestData.FashionModel)).Fit(data);
        using var stream = new MemoryStream();
        ml.SaveWithAeOnnx(model, data.Schema, stream, new AeOnnxSaveOptions { EmbedModels = true });
        return stream.ToArray();
    }

    /// <summary>Rewrites the payload (and optionally the zip's entries) of the saved zip.</summary>
    private static byte[] Tamper(Action<JsonObject> payload, Action<ZipArchive>? entries = null, bool fixContracts = true)
    {
        using var stream = new MemoryStream();
        stream.Write(Saved.Value);
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.GetEntry(PipelinePayload.EntryName)!;
            JsonObject json;
            using (var reader = new StreamReader(entry.Open()))
            {
                json = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
            }

            payload(json);
            if (fixContracts)
            {
                FixContracts(json);
            }

            entry.Delete();
            using (var writer = new StreamWriter(zip.CreateEntry(PipelinePayload.EntryName).Open()))
            {
                writer.Write(json.ToJsonString());
            }

            entries?.Invoke(zip);
        }

        return stream.ToArray();
    }

    /// <summary>What an attacker does: makes each mapping's contract match its edited spec, so the edit reaches the loader.</summary>
    private static void FixContracts(JsonObject json)
    {
        if (json["Mappings"] is not JsonArray mappings)
        {
            return;
        }

        foreach (var mapping in mappings.OfType<JsonObject>())
        {
            try
            {
                var spec = mapping["Spec"]?.Deserialize<MappingSpec>(MappingSpec.Json);
                if (spec is not null)
                {
                    mapping["Contract"] = spec.ContractName;
                }
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
            {
                // A spec that does not even deserialize keeps its old contract.
            }
        }
    }

    private static JsonObject EncodeMapping(JsonObject json) =>
        json["Mappings"]!.AsArray().OfType<JsonObject>().Single(m => (string?)m["Spec"]?["Kind"] == "Encode");

    /// <summary>Every file under the sandbox that is not inside the cache, plus any marker file that escaped further.</summary>
    private string[] Outside()
    {
        var cachePrefix = Cache + Path.DirectorySeparatorChar;
        var inSandbox = Directory.EnumerateFileSystemEntries(_sandbox.Path, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(cachePrefix, StringComparison.Ordinal) && !Cache.StartsWith(p + Path.DirectorySeparatorChar, StringComparison.Ordinal) && p != Cache);
        return inSandbox.Concat(EscapeTargets().Where(p => File.Exists(p) || Directory.Exists(p))).ToArray();
    }

    private Exception? Register(byte[] zip)
    {
        using var stream = new MemoryStream(zip);
        try
        {
            new MLContext(seed: 1).ComponentCatalog.RegisterAeOnnx(stream, new AeOnnxLoadOptions { EmbeddedModelCacheDirectory = Cache });
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static bool IsTyped(Exception e) => e is FormatException or ModelLoadException or AutoencoderModelMismatchException;

    [Fact]
    public void A_hash_field_holding_a_path_writes_nothing_outside_the_cache()
    {
        // The issue's exploit: DecoderSha256 holds a traversal, with a matching embedded entry, and the
        // contract fixed up. Before the fix the entry was written to <cache>/<enc>-x/../../../.. = outside.
        var evil = $"x/../../../../{_marker}";
        var zip = Tamper(
            json =>
            {
                var spec = EncodeMapping(json)["Spec"]!;
                spec["DecoderSha256"] = evil;
                EncodeMapping(json)["EmbeddedFiles"] = new JsonArray("manifest.json", "encoder.onnx", "decoder.onnx", "evil.txt");
            },
            zip =>
            {
                var prefix = (string)EncodeMapping(JsonNode.Parse(new StreamReader(zip.GetEntry(PipelinePayload.EntryName)!.Open()).ReadToEnd())!.AsObject())["Embedded"]!;
                using var writer = new StreamWriter(zip.CreateEntry(prefix + "evil.txt").Open());
                writer.Write("attacker's bytes");
            });

        var error = Register(zip);
        Assert.IsType<FormatException>(error);
        Assert.Contains("DecoderSha256 must be 64 lowercase hex digits", error.Message, StringComparison.Ordinal);
        Assert.Empty(Outside());
        Assert.False(Directory.Exists(Cache) && Directory.EnumerateFileSystemEntries(Cache).Any(), "nothing is unpacked from a refused payload");
    }

    [Fact]
    public void Embedded_models_unpack_into_a_folder_named_by_their_bytes_and_a_second_load_reuses_it()
    {
        Assert.Null(Register(Saved.Value));
        var folders = Directory.GetDirectories(Cache);
        var folder = Assert.Single(folders);
        Assert.Matches("^[0-9a-f]{64}$", Path.GetFileName(folder));
        Assert.Equal(["decoder.onnx", "encoder.onnx", "manifest.json"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var encoder = File.ReadAllBytes(Path.Combine(TestData.FashionModel, "encoder.onnx"));
        Assert.Equal(encoder, File.ReadAllBytes(Path.Combine(folder, "encoder.onnx")));
        var written = File.GetLastWriteTimeUtc(Path.Combine(folder, "encoder.onnx"));

        AeOnnxModelCache.Clear();
        Assert.Null(Register(Saved.Value));
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(folder, "encoder.onnx")));
        Assert.Empty(Directory.GetFiles(folder, ".*"));
    }

    [Fact]
    public void A_file_in_the_cache_that_AeOnnx_did_not_write_is_never_replaced()
    {
        Assert.Null(Register(Saved.Value));
        var folder = Assert.Single(Directory.GetDirectories(Cache));
        AeOnnxModelCache.Clear();

        // Someone else's file under the expected name: refused, left as it was.
        var manifest = Path.Combine(folder, "manifest.json");
        File.WriteAllText(manifest, "{\"not\": \"ours\"}");
        var error = Register(Saved.Value);
        Assert.IsType<ModelLoadException>(error);
        Assert.Contains("AeOnnx does not replace what it did not write", error.Message, StringComparison.Ordinal);
        Assert.Equal("{\"not\": \"ours\"}", File.ReadAllText(manifest));

        // A link planted under the expected name is neither followed nor replaced.
        var victim = Path.Combine(_sandbox.Path, "victim.txt");
        File.WriteAllText(victim, "precious");
        File.Delete(manifest);
        File.CreateSymbolicLink(manifest, victim);
        error = Register(Saved.Value);
        Assert.IsType<ModelLoadException>(error);
        Assert.Contains("a link or something other than a file", error.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(victim));
    }

    [Fact]
    public void Embedded_entries_must_hold_the_graphs_the_spec_names()
    {
        // Consistent-looking payload, other bytes in the encoder entry: refused before anything is written.
        var zip = Tamper(_ => { }, zip =>
        {
            var entry = zip.Entries.Single(e => e.FullName.StartsWith(PipelinePayload.ModelsPrefix, StringComparison.Ordinal) && e.Name == "encoder.onnx");
            var name = entry.FullName;
            entry.Delete();
            using var stream = zip.CreateEntry(name).Open();
            stream.Write(Encoding.UTF8.GetBytes("not the encoder"));
        });

        var error = Register(zip);
        Assert.IsType<FormatException>(error);
        Assert.Contains("hold no file with the spec's EncoderSha256", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Cache) && Directory.EnumerateFileSystemEntries(Cache).Any());
    }

    /// <summary>
    /// Mutates every field of the payload (and the zip's model entries) with hostile values: traversal
    /// strings, absolute paths, wrong types, out-of-range numbers, nulls, missing fields. A few hundred
    /// cases from a fixed seed: no file outside the cache, and only the documented exception types.
    /// </summary>
    [Fact]
    public void Fuzzed_payloads_and_entries_write_nothing_outside_the_cache_and_fail_only_with_typed_errors()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AEONNX_FUZZ_SEED"), out var s) ? s : 19;
        var random = new Random(seed);
        var paths = Leaves(JsonNode.Parse(PayloadText())!, "").ToArray();
        Assert.True(paths.Length > 40, $"{paths.Length} payload fields");
        JsonNode?[] hostile =
        [
            null, "", ".", "..", "../../../../" + _marker, "/" + _marker, "x/../../../../../../../../" + _marker,
            "AeOnnx/models/../../" + _marker + "/", "AeOnnx/models/x/", "AeOnnx/models/../", "..\\..\\" + _marker,
            new string('a', 300), "a\0b", "encoder.onnx", "modèle – ü", "\u202e", "0123456789abcdef".PadRight(64, 'f'),
            "ABCDEF".PadRight(64, 'A'), "aeonnx.ml.pipeline/2", "Pinned", "Encode", "cuda:99999",
            -1, 0, 1, 2147483647, -2147483648, 1e300, 3.5, true, new JsonObject(), new JsonArray(), new JsonArray("../" + _marker),
        ];

        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < 256; i++)
        {
            var path = paths[i % paths.Length];
            var value = hostile[random.Next(hostile.Length)]?.DeepClone();
            var remove = random.Next(8) == 0;
            var fix = random.Next(4) != 0;
            var entryEdit = random.Next(6) == 0 ? random.Next(4) : -1;
            var zip = Tamper(
                json =>
                {
                    if (remove)
                    {
                        Remove(json, path);
                    }
                    else
                    {
                        Set(json, path, value);
                    }
                },
                zip => EditEntries(zip, entryEdit, random.Next()),
                fix);
            var error = Register(zip);
            var outcome = error is null ? "registered" : error.GetType().Name;
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            var describe = $"case {i} (seed {seed}): {(remove ? "remove" : "set")} {path} = {value?.ToJsonString() ?? "null"}, entries {entryEdit}, contract fixed {fix}";
            if (error is not null && !IsTyped(error))
            {
                failures.Add($"{describe}: {error.GetType().Name}: {error.Message}");
            }

            if (Outside() is { Length: > 0 } escaped)
            {
                failures.Add($"{describe}: wrote outside the cache: {string.Join(", ", escaped)}");
                foreach (var entry in escaped)
                {
                    if (Directory.Exists(entry))
                    {
                        Directory.Delete(entry, recursive: true);
                    }
                    else
                    {
                        File.Delete(entry);
                    }
                }
            }
        }

        output.WriteLine($"{paths.Length} fields; outcomes: {string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"))}");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(outcomes.GetValueOrDefault(nameof(FormatException)) > 100, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("registered") > 0, string.Join(", ", outcomes));
    }

    private static string PayloadText()
    {
        using var zip = new ZipArchive(new MemoryStream(Saved.Value));
        using var reader = new StreamReader(zip.GetEntry(PipelinePayload.EntryName)!.Open());
        return reader.ReadToEnd();
    }

    private static void EditEntries(ZipArchive zip, int edit, int salt)
    {
        var model = zip.Entries.Where(e => e.FullName.StartsWith(PipelinePayload.ModelsPrefix, StringComparison.Ordinal)).OrderBy(e => e.FullName, StringComparer.Ordinal).ToArray();
        if (edit < 0 || model.Length == 0)
        {
            return;
        }

        var victim = model[salt % model.Length];
        var name = victim.FullName;
        switch (edit)
        {
            case 0:
                victim.Delete();
                break;
            case 1:
                victim.Delete();
                using (var stream = zip.CreateEntry(name).Open())
                {
                    stream.Write(new byte[salt % 1000]);
                }

                break;
            case 2:
                // The same bytes under a traversal name as well.
                using (var source = victim.Open())
                using (var stream = zip.CreateEntry(PipelinePayload.ModelsPrefix + "../../" + Path.GetFileName(name)).Open())
                {
                    source.CopyTo(stream);
                }

                break;
            default:
                // A second entry with the same name.
                using (var stream = zip.CreateEntry(name).Open())
                {
                    stream.Write("{}"u8);
                }

                break;
        }
    }

    private static IEnumerable<string> Leaves(JsonNode node, string path)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    var childPath = path.Length == 0 ? key : $"{path}.{key}";
                    if (child is null or JsonValue)
                    {
                        yield return childPath;
                    }
                    else
                    {
                        yield return childPath;
                        foreach (var leaf in Leaves(child, childPath))
                        {
                            yield return leaf;
                        }
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var childPath = $"{path}[{i}]";
                    yield return childPath;
                    if (a[i] is JsonObject or JsonArray)
                    {
                        foreach (var leaf in Leaves(a[i]!, childPath))
                        {
                            yield return leaf;
                        }
                    }
                }

                break;
        }
    }

    private static (JsonNode? Parent, string? Key, int Index) Locate(JsonNode root, string path)
    {
        var parts = path.Replace("[", ".[", StringComparison.Ordinal).Split('.', StringSplitOptions.RemoveEmptyEntries);
        var node = (JsonNode?)root;
        for (var i = 0; i < parts.Length - 1 && node is not null; i++)
        {
            node = parts[i].StartsWith('[') ? (node as JsonArray)?[int.Parse(parts[i][1..^1], System.Globalization.CultureInfo.InvariantCulture)] : (node as JsonObject)?[parts[i]];
        }

        var last = parts[^1];
        return last.StartsWith('[') ? (node, null, int.Parse(last[1..^1], System.Globalization.CultureInfo.InvariantCulture)) : (node, last, -1);
    }

    private static void Set(JsonObject root, string path, JsonNode? value)
    {
        var (parent, key, index) = Locate(root, path);
        if (parent is JsonObject o && key is not null)
        {
            o[key] = value;
        }
        else if (parent is JsonArray a && index >= 0 && index < a.Count)
        {
            a[index] = value;
        }
    }

    private static void Remove(JsonObject root, string path)
    {
        var (parent, key, index) = Locate(root, path);
        if (parent is JsonObject o && key is not null)
        {
            o.Remove(key);
        }
        else if (parent is JsonArray a && index >= 0 && index < a.Count)
        {
            a.RemoveAt(index);
        }
    }
}
