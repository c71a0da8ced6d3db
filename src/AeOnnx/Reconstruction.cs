namespace AeOnnx;

/// <summary>An image passed through the encoder and the decoder.</summary>
/// <param name="Input">The preprocessed encoder input: C × H × W normalized floats, NCHW.</param>
/// <param name="Latent">The latent (a VAE's mean), D floats.</param>
/// <param name="Output">The raw decoder output: C × H × W floats in normalized space, NCHW.</param>
/// <param name="Error">MSE and PSNR between input and output in [0,1] pixel space.</param>
public sealed record Reconstruction(float[] Input, float[] Latent, float[] Output, ReconstructionError Error);
