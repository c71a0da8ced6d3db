// The baseline of the service benchmark: the encode endpoint a skilled ASP.NET Core user would write for
// one AeOnnx model folder without AeOnnx: `POST /encode` with the image as the body, Skia decode to the
// manifest's input (gray, model size, pixel / scale), one ONNX Runtime session shared by all requests,
// `{"latent":[...]}` out. No guards, metrics, batching or hot swap: what the service's features cost is
// measured against this (bench/serve.py).
//
// usage: AeOnnx.Serve.Baseline --model DIR [--port N] [--host ADDR]
// Prints "listening on URL" on stdout once it answers; stops on Ctrl+C / SIGTERM.
using System.Buffers;
using System.Globalization;
using System.Net;
using AeOnnx.Serve.Baseline;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

string? modelDir = null;
var port = 0;
var host = IPAddress.Loopback;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model" when i + 1 < args.Length:
            modelDir = args[++i];
            break;
        case "--port" when i + 1 < args.Length:
            port = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--host" when i + 1 < args.Length:
            host = IPAddress.Parse(args[++i]);
            break;
        default:
            Console.Error.WriteLine($"usage: AeOnnx.Serve.Baseline --model DIR [--port N] [--host ADDR]; unexpected '{args[i]}'");
            return 2;
    }
}

if (modelDir is null)
{
    Console.Error.WriteLine("usage: AeOnnx.Serve.Baseline --model DIR [--port N] [--host ADDR]; --model is required");
    return 2;
}

var model = EncoderModel.Load(modelDir);

var builder = WebApplication.CreateSlimBuilder(args: []);

// The project template's appsettings.json: the framework logs warnings only (not two lines per request).
// Logs go to stderr; stdout carries the one "listening on" line the benchmark reads.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.WebHost.ConfigureKestrel(k => k.Listen(host, port));
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BaselineJson.Default));
builder.Services.AddSingleton(model);

var app = builder.Build();
app.MapPost("/encode", async (HttpRequest request, EncoderModel encoder) =>
{
    // The body into a pooled buffer (Kestrel caps it at 30 MB by default); then decode and run synchronously.
    var length = request.ContentLength is > 0 and <= 30_000_000 ? (int)request.ContentLength.Value : 64 * 1024;
    var buffer = ArrayPool<byte>.Shared.Rent(length);
    try
    {
        var read = 0;
        while (true)
        {
            if (read == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, read).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var n = await request.Body.ReadAsync(buffer.AsMemory(read));
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        var latent = encoder.Encode(buffer.AsSpan(0, read));
        return latent is null
            ? Results.Problem("The body is not an image Skia can decode.", statusCode: StatusCodes.Status415UnsupportedMediaType)
            : TypedResults.Ok(new EncodeResult(latent));
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }
});

await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"listening on {address.TrimEnd('/')}/");
await app.WaitForShutdownAsync();
model.Dispose();
return 0;

