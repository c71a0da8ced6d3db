namespace AeOnnx.Models;

/// <summary>Where a <see cref="ModelManifest"/>'s facts came from.</summary>
public enum ManifestSource
{
    /// <summary>The folder's manifest.json, graph SHA-256 checked against it.</summary>
    ManifestFile,

    /// <summary>A bare encoder/decoder pair's <c>metadata_props</c>; the SHA-256 are computed from the loaded bytes.</summary>
    GraphMetadata,
}
