using AeOnnx.Imaging;

namespace AeOnnx.Pipeline;

/// <summary>
/// One file's result from the folder pipeline, in input order: either the encoder's (and
/// decoder's) output, or the reason the file could not be read. A failing file does not stop the
/// pipeline.
/// </summary>
public sealed record PipelineResult
{
    /// <summary>Position of the file in the input sequence, from 0.</summary>
    public required int Index { get; init; }

    /// <summary>The file path as given.</summary>
    public required string Path { get; init; }

    /// <summary>The latent (a VAE's mean), D floats; null when the file failed.</summary>
    public float[]? Latent { get; init; }

    /// <summary>A VAE's log-variance, D floats; null for a plain autoencoder or a failed file.</summary>
    public float[]? LogVariance { get; init; }

    /// <summary>The preprocessed input tensor (C × H × W normalized floats) when reconstructing, for scores that compare it with the output (SSIM, error maps); otherwise null.</summary>
    public float[]? Input { get; init; }

    /// <summary>Raw decoder output (C × H × W normalized floats) when reconstructing; otherwise null.</summary>
    public float[]? Reconstruction { get; init; }

    /// <summary>MSE and PSNR when reconstructing; otherwise null.</summary>
    public ReconstructionError? Error { get; init; }

    /// <summary>Why the file failed; null on success.</summary>
    public ImageLoadException? Failure { get; init; }

    /// <summary>True when the file was processed.</summary>
    public bool Succeeded => Failure is null;
}
