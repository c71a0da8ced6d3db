using System.Runtime.InteropServices;
using AeOnnx.Hosting;
using AeOnnx.Tests.Support;

namespace AeOnnx.Tests.Hosting;

/// <summary>
/// The one model watcher (the service's <c>--watch</c>, ML.NET's <c>WatchFolder</c>), driven look by
/// look: a change is tried only when two consecutive looks agree, and a hostile pointer never blocks a look.
/// </summary>
public sealed class ModelWatchTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly List<string> _reloads = [];

    public ModelWatchTests()
    {
        foreach (var name in new[] { "a", "b" })
        {
            Directory.CreateDirectory(_temp.File(name));
            File.WriteAllText(Path.Combine(_temp.File(name), "manifest.json"), name);
        }
    }

    public void Dispose() => _temp.Dispose();

    private string Pointer => _temp.File("current.txt");

    private ModelWatch Watch(string path) => new(new ModelLocation(path), (fingerprint, _) =>
    {
        _reloads.Add(fingerprint);
        return Task.CompletedTask;
    });

    private static Task<bool> Look(ModelWatch watch) => watch.PollAsync(CancellationToken.None);

    [Fact]
    public async Task A_folder_change_is_tried_once_two_consecutive_looks_see_it()
    {
        var folder = _temp.File("a");
        var watch = Watch(folder);
        Assert.False(await Look(watch));

        File.WriteAllText(Path.Combine(folder, "encoder.onnx"), "new graph");
        Assert.False(await Look(watch));
        Assert.Empty(_reloads);

        Assert.True(await Look(watch));
        Assert.Equal([watch.Location.Fingerprint()], _reloads);

        // Tried once: the settled state is the served one now.
        Assert.False(await Look(watch));
        Assert.False(await Look(watch));
        Assert.Single(_reloads);
    }

    [Fact]
    public async Task A_folder_still_being_written_is_not_tried_until_it_stops_changing()
    {
        var folder = _temp.File("a");
        var watch = Watch(folder);
        var file = Path.Combine(folder, "decoder.onnx");
        for (var i = 1; i <= 5; i++)
        {
            // Each look sees a different size: a copy still in progress.
            File.WriteAllBytes(file, new byte[i * 100]);
            Assert.False(await Look(watch));
        }

        Assert.Empty(_reloads);
        Assert.True(await Look(watch));
        Assert.Single(_reloads);
    }

    [Fact]
    public async Task A_pointer_caught_half_written_is_not_tried_and_a_change_undone_is_forgotten()
    {
        File.WriteAllText(Pointer, "a\n");
        var watch = Watch(Pointer);

        // Truncated, then written: the empty pointer is seen by one look only, never tried.
        File.WriteAllText(Pointer, string.Empty);
        Assert.False(await Look(watch));
        File.WriteAllText(Pointer, "b\n");
        Assert.False(await Look(watch));
        Assert.Empty(_reloads);

        // Put back before the second look: nothing to try, and the pending state is forgotten...
        File.WriteAllText(Pointer, "a\n");
        Assert.False(await Look(watch));
        File.WriteAllText(Pointer, "b\n");

        // ...so the change needs two looks again.
        Assert.False(await Look(watch));
        Assert.Empty(_reloads);
        Assert.True(await Look(watch));
        Assert.Equal(_temp.File("b"), watch.Location.ResolveFolder());
        Assert.Single(_reloads);
    }

    [Fact]
    public async Task A_state_its_owner_reloaded_itself_is_not_tried_again()
    {
        File.WriteAllText(Pointer, "a\n");
        var watch = Watch(Pointer);
        File.WriteAllText(Pointer, "b\n");
        Assert.False(await Look(watch));

        // An explicit reload (the service's admin endpoint) took the new state.
        watch.Accept(watch.Location.Fingerprint());
        Assert.False(await Look(watch));
        Assert.False(await Look(watch));
        Assert.Empty(_reloads);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("dev-zero")]
    public async Task A_pointer_that_is_a_fifo_or_a_device_never_blocks_a_look_and_is_refused_by_name(string kind)
    {
        File.WriteAllText(Pointer, "a\n");
        var watch = Watch(Pointer);
        File.Delete(Pointer);
        if (kind == "fifo")
        {
            Assert.Equal(0, mkfifo(Pointer, 0x1b6));
        }
        else
        {
            File.CreateSymbolicLink(Pointer, "/dev/zero");
        }

        // A look that blocked (reading the FIFO for a writer, /dev/zero for ever) fails here instead of hanging.
        var looks = Task.Run(async () => (await Look(watch), await Look(watch)));
        Assert.Equal((false, true), await looks.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Single(_reloads);

        var refused = Assert.Throws<ModelLoadException>(watch.Location.ResolveFolder);
        Assert.Contains("current.txt", refused.Message, StringComparison.Ordinal);
        Assert.Contains("not a regular file", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_background_watch_reports_a_failed_reload_goes_on_and_its_disposal_waits_for_a_running_reload()
    {
        var folder = _temp.File("a");
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        var calls = 0;
        var finished = false;
        var watch = new ModelWatch(new ModelLocation(folder), (_, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new InvalidOperationException("first reload fails");
            }

            entered.TrySetResult();
            release.Wait();
            Volatile.Write(ref finished, true);
            return Task.CompletedTask;
        });

        // Each version appears whole (written beside, then renamed in): a watch polling every 10 ms on a
        // starved machine could otherwise see a half-written file as a version of its own, and call once more.
        void Publish(string text)
        {
            var staged = _temp.File("staged-" + Guid.NewGuid().ToString("N"));
            File.WriteAllText(staged, text);
            File.Move(staged, Path.Combine(folder, "encoder.onnx"), overwrite: true);
        }

        var running = watch.Start(TimeSpan.FromMilliseconds(10), e => failed.TrySetResult(e));
        Publish("first");

        // Generous bounds turn a watch that never looks into a failure; they assert no time.
        var error = await failed.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("first reload fails", error.Message);

        Publish("second, longer");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // Dispose while the reload is held: it returns only after the reload has finished.
        var disposing = Task.Run(running.Dispose);
        release.Set();
        await disposing.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(Volatile.Read(ref finished));
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
