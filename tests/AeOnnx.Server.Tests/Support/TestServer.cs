using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace AeOnnx.Server.Tests.Support;

/// <summary>A real server (Kestrel on 127.0.0.1, a free port) and an HttpClient pointed at it.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(AeOnnxServer server)
    {
        Server = server;
        Client = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(120) };
    }

    public AeOnnxServer Server { get; }

    public HttpClient Client { get; }

    public static async Task<TestServer> StartAsync(string modelPath, Action<ServerOptions>? configure = null)
    {
        var options = new ServerOptions
        {
            ModelPath = modelPath,
            Port = 0,
            MinimumLogLevel = LogLevel.Error,
            ModelOptions = new AutoencoderOptions { Device = Device.Cpu, IntraOpThreads = 1 },
        };
        configure?.Invoke(options);
        return new TestServer(await AeOnnxServer.StartAsync(options));
    }

    public static ByteArrayContent Png(string path)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    public static MultipartFormDataContent Multipart(params string[] paths)
    {
        var form = new MultipartFormDataContent();
        foreach (var path in paths)
        {
            var part = new ByteArrayContent(File.ReadAllBytes(path));
            part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(part, "images", Path.GetFileName(path));
        }

        return form;
    }

    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static float[][] Latents(JsonElement array) =>
        array.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
