namespace AeOnnx.ML.Internal;

/// <summary>A leased model with the bound pipeline it goes with (they change together on a swap).</summary>
internal sealed class PinnedGeneration(AutoencoderLease lease, BindingState state) : IDisposable
{
    public Autoencoder Model => lease.Model;

    public BindingState State { get; } = state;

    public void Dispose() => lease.Dispose();
}
