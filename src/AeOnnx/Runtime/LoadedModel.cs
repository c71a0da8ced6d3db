using AeOnnx.Models;

namespace AeOnnx.Runtime;

/// <summary>What <see cref="ModelLoader"/> hands to <see cref="Autoencoder"/>: the manifest as read, the model as validated, and its two sessions.</summary>
internal sealed record LoadedModel(string Folder, ModelManifest Manifest, ValidatedModel Model, GraphSession Encoder, GraphSession Decoder, Device Device);
