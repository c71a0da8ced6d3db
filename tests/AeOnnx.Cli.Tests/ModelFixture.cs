namespace AeOnnx.Cli.Tests;

/// <summary>The shipped model loaded once through the core library: the reference the CLI's outputs are checked against.</summary>
public sealed class ModelFixture : IDisposable
{
    public ModelFixture() => Model = Autoencoder.Load(Repo.Model, new AutoencoderOptions { Device = Device.Cpu });

    public Autoencoder Model { get; }

    public void Dispose() => Model.Dispose();
}
