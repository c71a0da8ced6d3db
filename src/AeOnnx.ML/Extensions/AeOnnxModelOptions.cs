namespace AeOnnx.ML.Extensions;

/// <summary>One named model of <see cref="AeOnnxOptions.Models"/> (<c>"AeOnnx:Models:&lt;name&gt;"</c>).</summary>
public sealed class AeOnnxModelOptions
{
    /// <summary>
    /// A model folder, or a pointer file naming one (relative to the pointer's folder and inside it), as
    /// the service's <c>--model</c> takes. A relative path is taken against the current directory.
    /// </summary>
    public string Path { get; set; } = "";

    /// <summary>
    /// Whether a running host swaps in what the path names once it changes and settles (a retrained
    /// export landing in the folder, or the pointer rewritten). A folder that fails to load leaves the
    /// current model serving and is logged as a warning. Default false.
    /// </summary>
    public bool WatchForChanges { get; set; }
}
