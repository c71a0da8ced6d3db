using AeOnnx.Hosting;

namespace AeOnnx.Tests.Hosting;

/// <summary>Overlapping reloads: the newest request wins whatever the loading times, and no lock is held while loading.</summary>
public sealed class SwapOrderTests
{
    [Fact]
    public void A_reload_that_finishes_after_a_later_one_swapped_is_dropped()
    {
        var order = new SwapOrder();
        var swapped = new List<string>();
        var slow = order.Begin();
        var fast = order.Begin();

        Assert.True(order.TryComplete(fast, () => swapped.Add("fast")));
        Assert.False(order.TryComplete(slow, () => swapped.Add("slow")));

        // A reload begun after the last swap swaps again.
        var next = order.Begin();
        Assert.True(order.TryComplete(next, () => swapped.Add("next")));
        Assert.Equal(["fast", "next"], swapped);
    }

    [Fact]
    public void Reloads_finishing_in_the_order_they_began_all_swap()
    {
        var order = new SwapOrder();
        var first = order.Begin();
        var second = order.Begin();
        Assert.True(order.TryComplete(first, () => { }));
        Assert.True(order.TryComplete(second, () => { }));
    }

    [Fact]
    public async Task A_reload_still_loading_does_not_hold_up_another_ones_swap()
    {
        var order = new SwapOrder();
        var loading = order.Begin();
        using var loaded = new ManualResetEventSlim();

        // The first reload is still loading (it has its ticket, not the lock); a second one swaps meanwhile.
        var first = Task.Run(() =>
        {
            loaded.Wait();
            return order.TryComplete(loading, () => { });
        });
        var second = await Task.Run(() => order.TryComplete(order.Begin(), () => { })).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(second);

        loaded.Set();
        Assert.False(await first.WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
