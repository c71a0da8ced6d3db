using AeOnnx.Imaging;

namespace AeOnnx;

/// <summary>
/// One image through an <see cref="Autoencoder"/>: from a file, an encoded stream or pixels in memory
/// (<see cref="ImageData"/>), preprocessed by <see cref="Autoencoder.Images"/>; and one latent back to pixels.
/// </summary>
public static class AutoencoderImageExtensions
{
    /// <summary>Encodes one image file.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">An image file of one of the <see cref="ImageFormats"/>.</param>
    /// <returns>The latent (a VAE's mean), <see cref="Autoencoder.LatentDim"/> floats.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public static float[] Encode(this Autoencoder model, string path)
    {
        model.ThrowIfDisposed();
        return model.Encode(model.Images.LoadTensor(path));
    }

    /// <summary>Encodes one encoded image stream.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">The encoded image; not disposed.</param>
    /// <param name="name">Name for error messages.</param>
    /// <returns>The latent.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public static float[] Encode(this Autoencoder model, Stream stream, string? name = null)
    {
        model.ThrowIfDisposed();
        return model.Encode(model.Images.LoadTensor(stream, name));
    }

    /// <summary>Encodes one image in memory (any <see cref="ImagePixelFormat"/>, any size).</summary>
    /// <param name="model">The model.</param>
    /// <param name="image">The image.</param>
    /// <returns>The latent.</returns>
    public static float[] Encode(this Autoencoder model, ImageData image)
    {
        model.ThrowIfDisposed();
        return model.Encode(model.Images.ToTensor(image));
    }

    /// <summary>Decodes one latent to an 8-bit image (<see cref="ImagePixelFormat.Gray8"/> or <see cref="ImagePixelFormat.Rgb24"/>).</summary>
    /// <param name="model">The model.</param>
    /// <param name="latent">Exactly <see cref="Autoencoder.LatentDim"/> floats.</param>
    /// <returns>The image.</returns>
    public static ImageData DecodeImage(this Autoencoder model, ReadOnlySpan<float> latent) => model.Images.ToImage(model.Decode(latent));

    /// <summary>Reconstructs one image file: encode, decode, and measure the error.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">An image file of one of the <see cref="ImageFormats"/>.</param>
    /// <returns>Input tensor, latent, raw output and error.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public static Reconstruction Reconstruct(this Autoencoder model, string path)
    {
        model.ThrowIfDisposed();
        return model.Reconstruct(model.Images.LoadTensor(path).AsSpan());
    }

    /// <summary>Reconstructs one encoded image stream.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">The encoded image; not disposed.</param>
    /// <param name="name">Name for error messages.</param>
    /// <returns>Input tensor, latent, raw output and error.</returns>
    /// <exception cref="ImageLoadException">The image cannot be loaded.</exception>
    public static Reconstruction Reconstruct(this Autoencoder model, Stream stream, string? name = null)
    {
        model.ThrowIfDisposed();
        return model.Reconstruct(model.Images.LoadTensor(stream, name).AsSpan());
    }

    /// <summary>Reconstructs one image in memory.</summary>
    /// <param name="model">The model.</param>
    /// <param name="image">The image.</param>
    /// <returns>Input tensor, latent, raw output and error.</returns>
    public static Reconstruction Reconstruct(this Autoencoder model, ImageData image)
    {
        model.ThrowIfDisposed();
        return model.Reconstruct(model.Images.ToTensor(image).AsSpan());
    }
}
