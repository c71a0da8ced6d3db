using System.Diagnostics;
using System.Runtime.InteropServices;
using AeOnnx.Server.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary><c>aeonnx serve</c> as a process: port 0, the printed URL on loopback, a clean stop on SIGINT.</summary>
public sealed class ServeVerbTests
{
    [SkippableFact]
    public async Task Serve_with_port_zero_prints_a_loopback_url_that_answers_and_stops_cleanly_on_sigint()
    {
        Skip.If(AeOnnx.Tests.Support.Signals.SigintIgnored(), AeOnnx.Tests.Support.Signals.SigintIgnoredReason);
        var cli = Path.Combine(AppContext.BaseDirectory, "AeOnnx.Cli.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { cli, "serve", "--model", Repo.Model("fashion-mnist-vae"), "--port", "0", "--device", "cpu", "--threads", "1" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.NotNull(line);
            Assert.StartsWith("aeonnx serve: listening on http://127.0.0.1:", line);
            var url = new Uri(line["aeonnx serve: listening on ".Length..].Split(' ')[0]);
            Assert.NotEqual(0, url.Port);

            using var http = new HttpClient { BaseAddress = url };
            Assert.Equal("ok\n", await http.GetStringAsync("healthz"));
            using var encoded = await http.PostAsync("v1/encode", TestServer.Png(Repo.Samples(1)[0]));
            Assert.Equal("fashion-mnist-vae", encoded.Headers.GetValues("X-AeOnnx-Model").Single());

            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            {
                Assert.Equal(0, Kill(process.Id, 2 /* SIGINT */));
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
                Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Serve_refuses_a_host_that_is_not_an_address_with_a_usage_error()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "AeOnnx.Cli.dll"), "serve", "--model", Repo.Model("fashion-mnist-ae"), "--port", "0", "--host", "example.com" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("aeonnx serve: --host must be an IP address, 'localhost' or '*', got 'example.com'.", stderr);
    }

    [Fact]
    public async Task A_busy_port_is_one_line_naming_the_address_not_a_stack_trace()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;

        var (exit, stdout, stderr) = await RunAsync("serve", "--model", Repo.Model("fashion-mnist-ae"), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--device", "cpu", "--threads", "1");

        Assert.Equal(1, exit);
        Assert.Empty(stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // The log's info lines (the model loaded) come first; the error is one line, and no log line fails with a trace.
        Assert.DoesNotContain(lines, l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal));
        var line = lines[^1];
        Assert.StartsWith($"aeonnx serve: cannot listen: Failed to bind to address http://127.0.0.1:{port}: address already in use.", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_help_is_its_own_server_exit_codes_and_no_batch_size()
    {
        var (exit, stdout, _) = await RunAsync("serve", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("--max-batch", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--batch-size", stdout, StringComparison.Ordinal);
        Assert.Contains("0    stopped by Ctrl+C or SIGTERM", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("skipped", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--resume", stdout, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AeOnnx.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (process.ExitCode, await stdout, await stderr);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
