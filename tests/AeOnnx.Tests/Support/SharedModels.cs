using System.Collections.Concurrent;

namespace AeOnnx.Tests.Support;

/// <summary>One loaded instance per shipped model for the whole test run (loading costs ~100 ms each).</summary>
public sealed class SharedModels : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Autoencoder>> _models = new();

    public Autoencoder Get(string name) =>
        _models.GetOrAdd(name, n => new Lazy<Autoencoder>(() => Autoencoder.Load(TestModels.Folder(n), TestModels.CpuOptions()))).Value;

    public void Dispose()
    {
        foreach (var model in _models.Values.Where(m => m.IsValueCreated))
        {
            model.Value.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedModelsCollection : ICollectionFixture<SharedModels>
{
    public const string Name = "shared models";
}
