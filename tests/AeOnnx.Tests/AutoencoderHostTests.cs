using AeOnnx.Tests.Support;

namespace AeOnnx.Tests;

/// <summary>Hot swap while calls are in flight: old calls finish on the old model, new calls get the new one.</summary>
public sealed class AutoencoderHostTests
{
    [Fact]
    public async Task Swap_under_load_never_fails_a_call_and_disposes_the_old_model_after_its_last_lease()
    {
        // A retrained folder: the VAE when shipped (other weights, same image size), else a copy.
        using var copy = TestModels.Copy(TestModels.FashionAe);
        var original = TestModels.Folder(TestModels.FashionAe);
        var retrained = TestModels.Exists(TestModels.FashionVae) ? TestModels.Folder(TestModels.FashionVae) : copy.Path;
        var image = AutoencoderTests.FixturePaths(TestModels.FashionAe)[0];
        var expected = new Dictionary<string, float[]>();
        foreach (var folder in new[] { original, retrained })
        {
            using var model = Autoencoder.Load(folder, TestModels.CpuOptions());
            expected[model.Folder] = model.Encode(image);
        }

        using var host = AutoencoderHost.Load(original, TestModels.CpuOptions());
        var stop = 0;
        var errors = new List<Exception>();
        var folders = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                try
                {
                    using var lease = host.Acquire();
                    var latent = lease.Model.Encode(image);
                    Thread.Yield(); // keep the lease across a possible swap
                    var again = lease.Model.Decode(latent);
                    Assert.Equal(lease.Model.PixelCount, again.Length);

                    // Both calls of one lease ran on the same model, whatever was swapped meanwhile.
                    Assert.Equal(expected[lease.Model.Folder], latent);
                    folders.AddOrUpdate(lease.Model.Folder, 1, (_, n) => n + 1);
                }
                catch (Exception ex)
                {
                    lock (errors)
                    {
                        errors.Add(ex);
                    }
                }
            }
        })).ToArray();

        // Progress, not time: each model serves at least one whole call before it is swapped out,
        // however slowly the workers are scheduled on a loaded machine.
        async Task UntilServed(Autoencoder model)
        {
            var before = folders.GetValueOrDefault(model.Folder);
            while (folders.GetValueOrDefault(model.Folder) == before && errors.Count == 0)
            {
                await Task.Delay(1);
            }
        }

        var previous = new List<Autoencoder>();
        for (var swap = 0; swap < 6; swap++)
        {
            await UntilServed(host.Current);
            previous.Add(host.Current);
            host.Swap(swap % 2 == 0 ? retrained : original);
        }

        await UntilServed(host.Current);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(workers);

        Assert.Empty(errors);
        Assert.Equal(6, host.Generation);
        Assert.True(folders.Count == 2, string.Join(", ", folders.Keys));

        // Every swapped-out model is disposed once its leases are gone; the current one is alive.
        Assert.All(previous, old => Assert.Throws<ObjectDisposedException>(() => old.Encode(image)));
        Assert.Equal(expected[original], host.Current.Encode(image));
    }

    [Fact]
    public void A_held_lease_keeps_the_old_model_alive_until_released()
    {
        using var host = AutoencoderHost.Load(TestModels.Folder(TestModels.FashionAe), TestModels.CpuOptions());
        var image = AutoencoderTests.FixturePaths(TestModels.FashionAe)[0];
        var lease = host.Acquire();
        var old = lease.Model;
        host.Swap(TestModels.Folder(TestModels.FashionAe));

        Assert.NotSame(old, host.Current);
        Assert.Equal(old.LatentDim, old.Encode(image).Length);
        using (var fresh = host.Acquire())
        {
            Assert.Same(host.Current, fresh.Model);
        }

        lease.Dispose();
        lease.Dispose();
        Assert.Throws<ObjectDisposedException>(() => old.Encode(image));
        Assert.Equal(host.Current.LatentDim, host.Run(m => m.Encode(image)).Length);
    }

    [Fact]
    public void A_failed_swap_keeps_the_current_model()
    {
        using var host = AutoencoderHost.Load(TestModels.Folder(TestModels.FashionAe), TestModels.CpuOptions());
        var current = host.Current;
        using var empty = new TempFolder();
        Assert.Throws<ModelLoadException>(() => host.Swap(empty.Path));
        Assert.Same(current, host.Current);
        Assert.Equal(0, host.Generation);
    }

    [Fact]
    public async Task Disposed_host_refuses_leases_and_releases_its_model()
    {
        var host = AutoencoderHost.Load(TestModels.Folder(TestModels.FashionAe), TestModels.CpuOptions());
        var model = host.Current;
        var latent = await host.RunAsync(m => Task.FromResult(m.SampleLatents(1, 1)[0]));
        host.Dispose();
        Assert.Throws<ObjectDisposedException>(() => host.Acquire());
        Assert.Throws<ObjectDisposedException>(() => model.Decode(latent));
    }
}
