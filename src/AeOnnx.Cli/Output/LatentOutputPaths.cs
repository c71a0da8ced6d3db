using AeOnnx.IO;

namespace AeOnnx.Cli.Output;

/// <summary>The files that belong to one latent output <c>NAME.npy</c>.</summary>
internal sealed record LatentOutputPaths(string Npy)
{
    private string Stem => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Npy))!, Path.GetFileNameWithoutExtension(Npy));

    /// <summary><c>NAME.index.csv</c>: row, path, status, reason for every input.</summary>
    public string Index => Stem + ".index.csv";

    /// <summary><c>NAME.shard.json</c>: written by <c>--shard K/N</c> runs only, read by <c>aeonnx merge</c>.</summary>
    public string ShardInfo => Stem + ".shard.json";

    public string Journal => AtomicFile.Sibling(Npy, ".aeonnx-journal");

    public string Part => AtomicFile.Sibling(Npy, ".aeonnx-part");

    /// <summary>The job's exclusive lock (see <see cref="Jobs.JobLock"/>).</summary>
    public string Lock => AtomicFile.Sibling(Npy, ".aeonnx-lock");
}
