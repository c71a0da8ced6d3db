using AeOnnx.Models;

namespace AeOnnx.Runtime;

/// <summary>What <see cref="ModelLoader"/> hands to <see cref="Autoencoder"/>: the folder, its checked manifest, both sessions and the device.</summary>
internal sealed record LoadedModel(string Folder, ModelManifest Manifest, GraphSession Encoder, GraphSession Decoder, Device Device);
