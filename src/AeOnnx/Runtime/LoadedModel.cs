using AeOnnx.Models;

namespace AeOnnx.Runtime;

/// <summary>What <see cref="ModelLoader"/> hands to <see cref="Autoencoder"/>: a checked manifest and its two sessions.</summary>
internal sealed record LoadedModel(string Folder, ModelManifest Manifest, GraphSession Encoder, GraphSession Decoder, Device Device);
