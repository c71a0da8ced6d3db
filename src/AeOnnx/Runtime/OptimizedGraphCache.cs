using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;
using AeOnnx.IO;
using Microsoft.ML.OnnxRuntime;

namespace AeOnnx.Runtime;

/// <summary>
/// The file format of <see cref="AutoencoderOptions.OptimizedModelCacheDirectory"/>: one header line
/// <c>aeonnx-optimized-graph/1 SOURCE-SHA256 CONTENT-SHA256</c>, then the optimized ONNX bytes.
/// A cached file is used only when it was made from the verified source graph and its bytes hash to
/// the header's value, so the cache cannot bring in a graph the loader did not check.
/// </summary>
internal static class OptimizedGraphCache
{
    public const string Extension = ".ortcache";

    private const string Magic = "aeonnx-optimized-graph/1";

    // Header: magic, space, 64 hex, space, 64 hex, newline.
    private static readonly int HeaderLength = Magic.Length + 1 + 64 + 1 + 64 + 1;

    private static readonly Lazy<string> Version = new(() => OnnxRuntimeEnvironment.Instance.GetVersionString());

    private static readonly Lazy<string> Cpu = new(ComputeCpuKey);

    /// <summary>The ONNX Runtime version in use, e.g. <c>1.23.0</c>.</summary>
    public static string RuntimeVersion => Version.Value;

    /// <summary>12 hex digits naming this CPU: architecture, model name and the instruction sets .NET sees.</summary>
    public static string CpuKey => Cpu.Value;

    /// <summary>Returns the verified graph bytes, or null with the reason (null reason: no file).</summary>
    public static byte[]? Read(string path, string sourceSha256, out string? refusal)
    {
        refusal = null;
        byte[] file;
        try
        {
            // Only a regular file: a FIFO planted under the cache's name would block the load (and a
            // reload in the service) for ever, /dev/zero would never end.
            file = RegularFile.ReadAllBytes(path, Models.ModelLimits.MaxGraphBytes + HeaderLength);
        }
        catch (RegularFileException ex) when (ex.Problem == RegularFileProblem.NotFound)
        {
            return null;
        }
        catch (RegularFileException ex)
        {
            refusal = ex.Detail;
            return null;
        }

        if (file.Length <= HeaderLength)
        {
            refusal = "not an AeOnnx optimized-graph cache file (too short)";
            return null;
        }

        var header = Encoding.ASCII.GetString(file, 0, HeaderLength).Split(' ', '\n');
        if (header.Length != 4 || header[0] != Magic || header[3].Length != 0)
        {
            refusal = "not an AeOnnx optimized-graph cache file (bad header)";
            return null;
        }

        if (!string.Equals(header[1], sourceSha256, StringComparison.Ordinal))
        {
            refusal = $"made from a graph with SHA-256 {header[1]}, expected {sourceSha256}";
            return null;
        }

        var graph = file.AsSpan(HeaderLength);
        var found = Convert.ToHexStringLower(SHA256.HashData(graph));
        if (!string.Equals(header[2], found, StringComparison.Ordinal))
        {
            refusal = $"content SHA-256 {found} differs from its header's {header[2]} (modified or truncated)";
            return null;
        }

        return graph.ToArray();
    }

    /// <summary>Adds the header to the graph ORT wrote at <paramref name="written"/> and renames it into place.</summary>
    public static void Publish(string written, string path, string sourceSha256)
    {
        try
        {
            var graph = File.ReadAllBytes(written);
            var header = Encoding.ASCII.GetBytes($"{Magic} {sourceSha256} {Convert.ToHexStringLower(SHA256.HashData(graph))}\n");
            AtomicFile.Write(path, stream =>
            {
                stream.Write(header);
                stream.Write(graph);
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The cache is an optimization: a full disk or a read-only folder costs the next load
            // an optimization pass, nothing more.
        }
    }

    private static string ComputeCpuKey()
    {
        var facts = new StringBuilder()
            .Append(RuntimeInformation.ProcessArchitecture).Append('|')
            .Append(CpuModelName()).Append('|')
            .Append(Avx512F.IsSupported).Append(Avx512BW.IsSupported).Append(Avx512Vbmi.IsSupported)
            .Append(Avx2.IsSupported).Append(Fma.IsSupported).Append(Avx.IsSupported).Append(Sse41.IsSupported)
            .Append(AdvSimd.IsSupported).Append(Dp.IsSupported);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(facts.ToString())))[..12];
    }

    private static string CpuModelName()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() ?? string.Empty;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? string.Empty;
    }
}
