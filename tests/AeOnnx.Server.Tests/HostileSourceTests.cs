using System.Net;
using System.Runtime.InteropServices;
using AeOnnx.Server.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>
/// What a careless operator (or whoever can write the models volume) puts where the service reads on
/// a watch: a pointer naming a folder outside its own, a FIFO or a link to /dev/zero as the pointer.
/// Each is refused with a reason, the old model keeps serving, and neither the watcher nor the admin
/// endpoint is ever blocked.
/// </summary>
public sealed class HostileSourceTests : IDisposable
{
    private const string Token = "test-admin-token-0123456789abcdef";
    private readonly string _folder = Directory.CreateTempSubdirectory("aeonnx-source-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Pointer => Path.Combine(_folder, "models", "current.txt");

    private async Task<TestServer> StartAsync(bool watch = false)
    {
        Directory.CreateDirectory(Path.Combine(_folder, "models"));
        Directory.CreateSymbolicLink(Path.Combine(_folder, "models", "ae"), Repo.Model("fashion-mnist-ae"));
        Directory.CreateSymbolicLink(Path.Combine(_folder, "models", "rgb"), Repo.Model("tiny-rgb"));
        await File.WriteAllTextAsync(Pointer, "ae\n");
        return await TestServer.StartAsync(Pointer, o =>
        {
            o.AdminToken = Token;
            o.Watch = watch;
            o.WatchInterval = TimeSpan.FromMilliseconds(20);
        });
    }

    private static async Task<HttpResponseMessage> ReloadAsync(TestServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/admin/reload");
        request.Headers.Authorization = new("Bearer", Token);

        // A bounded wait turns a wedged reload into a failure instead of a hung test run.
        return await server.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("ae/../../outside")]
    [InlineData("/")]
    [InlineData("ABSOLUTE")]
    public async Task A_pointer_naming_a_folder_outside_its_own_is_refused(string line)
    {
        await using var server = await StartAsync();
        var outside = Path.Combine(_folder, "outside");
        Directory.CreateSymbolicLink(outside, Repo.Model("tiny-rgb"));
        await File.WriteAllTextAsync(Pointer, line.Replace("ABSOLUTE", outside, StringComparison.Ordinal) + "\n");

        using var refused = await ReloadAsync(server);
        var detail = await Assertions.ProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "a model folder inside the pointer's own folder");
        Assert.DoesNotContain(_folder, detail, StringComparison.Ordinal);
        Assert.Equal("fashion-mnist-ae", server.Server.Models.Current.Name);

        // A name inside the pointer's folder still swaps.
        await File.WriteAllTextAsync(Pointer, "rgb\n");
        using var swapped = await ReloadAsync(server);
        Assert.Equal(HttpStatusCode.OK, swapped.StatusCode);
        Assert.Equal("tiny-rgb", server.Server.Models.Current.Name);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("dev-zero")]
    public async Task A_pointer_that_is_a_fifo_or_a_device_is_refused_and_wedges_nothing(string kind)
    {
        await using var server = await StartAsync(watch: true);
        File.Delete(Pointer);
        if (kind == "fifo")
        {
            Assert.Equal(0, mkfifo(Pointer, 0x1b6));
        }
        else
        {
            File.CreateSymbolicLink(Pointer, "/dev/zero");
        }

        // The watcher settles on the new pointer and records its refusal (before the fix it blocked in
        // File.ReadLines for ever, holding the reload lock). Between the delete and the new pointer the
        // watcher may first refuse a missing pointer: wait for the refusal of the FIFO or device itself.
        await ErrorStatusTests.WaitUntilAsync(() => server.Server.Models.LastRefusal is { FolderName: "current.txt" } refusal
            && refusal.Reason.Contains("not a regular file", StringComparison.Ordinal));

        // The admin endpoint answers at once with the reason...
        using (var refused = await ReloadAsync(server))
        {
            await Assertions.ProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "not a regular file (a FIFO or device)");
        }

        // ...the old model still serves, and a good pointer swaps again.
        using (var encoded = await server.Client.PostAsync("v1/encode", TestServer.Png(Repo.Samples(1)[0])))
        {
            Assert.Equal(HttpStatusCode.OK, encoded.StatusCode);
            Assert.Equal("fashion-mnist-ae", encoded.Headers.GetValues("X-AeOnnx-Model").Single());
        }

        File.Delete(Pointer);
        await File.WriteAllTextAsync(Pointer, "rgb\n");
        await ErrorStatusTests.WaitUntilAsync(() => server.Server.Models.Current.Name == "tiny-rgb");
    }

    [Fact]
    public async Task An_admin_token_file_that_is_a_fifo_is_refused_at_start_without_blocking()
    {
        var fifo = Path.Combine(_folder, "token");
        Assert.Equal(0, mkfifo(fifo, 0x1b6));
        var read = Task.Run(() => AeOnnxServer.ReadAdminToken(fifo));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => read.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("not a regular file", error.Message, StringComparison.Ordinal);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
