namespace AeOnnx.ML.Extensions;

/// <summary>Something the hosted <see cref="ModelWatchService"/> loads at start and watches while the host runs.</summary>
internal interface IModelWatchSource
{
    /// <summary>Loads every model now, so a missing one stops the host's start rather than a request.</summary>
    void Load();

    /// <summary>Starts the watches of the models registered with watching on; each handle stops one.</summary>
    IEnumerable<IDisposable> StartWatches();
}
