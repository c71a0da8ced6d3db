namespace AeOnnx.Server.Endpoints.Responses;

/// <summary>One image of a reconstruction: MSE, PSNR (null when infinite: a perfect reconstruction), its latent, and the input (as the model sees it) and output as PNG data URLs.</summary>
internal sealed record ReconstructedImage(string Name, double Mse, double? Psnr, float[] Latent, string Input, string Output);
