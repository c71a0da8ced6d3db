namespace AeOnnx.Server.Tests.Support;

/// <summary>One server on the shipped fashion-mnist-ae, and the same model loaded by the core for expected values.</summary>
public sealed class ServedModelFixture : IAsyncLifetime
{
    private TestServer? _server;
    private Autoencoder? _core;

    internal TestServer Server => _server!;

    internal HttpClient Client => _server!.Client;

    /// <summary>The core's own copy of the served model: the independent reference for every number.</summary>
    public Autoencoder Core => _core!;

    public async Task InitializeAsync()
    {
        _core = Autoencoder.Load(Repo.Model("fashion-mnist-ae"), new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 });
        _server = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"));
    }

    public async Task DisposeAsync()
    {
        await _server!.DisposeAsync();
        _core!.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ServedModelCollection : ICollectionFixture<ServedModelFixture>
{
    public const string Name = "served fashion-mnist-ae";
}
