using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AeOnnx.Server.Endpoints;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AeOnnx.Server.Hosting;

/// <summary>
/// Ready means able to serve: before a model is served (at start, and before every swap) this sends it
/// one real request over the network to the server's own listening address, so Kestrel, the
/// middleware, the handler, the batcher, the model, the JSON writer and the response headers all take
/// part, exactly as for a client. The request carries the server's probe secret, which routes it to
/// the candidate model (<see cref="ModelService.TryGetCandidate"/>) and past the concurrency limit.
/// </summary>
internal sealed class ModelProbe : IDisposable
{
    private readonly HttpClient _client;

    /// <summary>How long a probe may take: generous, since the first request of a cold process pays for JIT and session warm-up.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public ModelProbe(Uri serverUrl)
    {
        // No proxy: the request must reach this process, whatever HTTP_PROXY says.
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false };
        _client = new HttpClient(handler) { BaseAddress = serverUrl, Timeout = Timeout };
    }

    /// <summary>The address to probe for a listening address: a wildcard address is reached through loopback.</summary>
    public static Uri Loopback(string address) => new(address
        .Replace("://[::]", "://[::1]", StringComparison.Ordinal)
        .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
        .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
        .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
        .TrimEnd('/') + "/");

    /// <summary>
    /// POST /v1/reconstruct?format=json with a mid-gray image of the model's size (image decoding, both
    /// graphs, PNG and JSON writing, headers); where the configured image limits refuse an image of the
    /// model's own size, POST /v1/decode?format=json with the zero latent instead. Throws
    /// <see cref="ModelLoadException"/> unless the answer is complete and correct.
    /// </summary>
    public async Task RunAsync(Autoencoder model, ServedModel identity, string probeHeader, CancellationToken cancellationToken)
    {
        var withImage = (long)model.Width * model.Height <= model.Images.Limits.MaxPixels;
        using var request = new HttpRequestMessage(HttpMethod.Post, withImage ? "v1/reconstruct?format=json" : "v1/decode?format=json");
        request.Headers.Add(ModelService.ProbeHeader, probeHeader);
        if (withImage)
        {
            var image = new ByteArrayContent(GrayPng(model));
            image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            request.Content = image;
        }
        else
        {
            request.Content = new StringContent(JsonSerializer.Serialize(new { latents = new[] { new float[model.LatentDim] } }), System.Text.Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        string body;
        try
        {
            response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Refuse(model, $"no answer ({e.Message})", e);
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw Refuse(model, $"{(int)response.StatusCode} {Detail(body)}");
            }

            Expect(model, response, ApiHandlers.ModelHeader, ApiHandlers.HeaderValue(identity.Name));
            Expect(model, response, ApiHandlers.GenerationHeader, identity.Generation.ToString(CultureInfo.InvariantCulture));
            Expect(model, response, ApiHandlers.EncoderShaHeader, identity.EncoderSha256);
            Expect(model, response, ApiHandlers.DecoderShaHeader, identity.DecoderSha256);
            try
            {
                var root = JsonDocument.Parse(body).RootElement;
                var complete = withImage
                    ? root.GetProperty("items")[0] is var item && item.GetProperty("latent").GetArrayLength() == model.LatentDim && item.GetProperty("mse").TryGetDouble(out var mse) && double.IsFinite(mse)
                    : root.GetProperty("images").GetArrayLength() == 1;
                if (!complete)
                {
                    throw Refuse(model, "the answer does not hold a latent of the model's size and a finite error");
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
            {
                throw Refuse(model, $"the answer is not the expected JSON ({e.Message})", e);
            }
        }
    }

    public void Dispose() => _client.Dispose();

    private static void Expect(Autoencoder model, HttpResponseMessage response, string header, string expected)
    {
        var found = response.Headers.TryGetValues(header, out var values) ? string.Join(",", values) : "(none)";
        if (!string.Equals(found, expected, StringComparison.Ordinal))
        {
            throw Refuse(model, $"header {header} is '{found}', expected '{expected}'");
        }
    }

    private static ModelLoadException Refuse(Autoencoder model, string found, Exception? inner = null) =>
        new(model.Folder, "probe", "an answer to one request through the service (POST /v1/reconstruct with a gray image of the model's size)", found, inner);

    private static string Detail(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString() ?? body;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }

    private static byte[] GrayPng(Autoencoder model)
    {
        using var image = new Image<L8>(model.Width, model.Height, new L8(128));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
