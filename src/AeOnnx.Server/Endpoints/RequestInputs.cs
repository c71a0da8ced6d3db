using System.Text.Json;
using AeOnnx.Imaging;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AeOnnx.Server.Endpoints;

/// <summary>
/// Reads request bodies under the service's limits: a raw image (<c>Content-Type: image/*</c>),
/// several images as <c>multipart/form-data</c>, or JSON. Everything comes from the body: a request
/// can never make the server open a file of its own.
/// </summary>
internal static class RequestInputs
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,

        // Responses go to API clients and our own page, never into HTML unescaped: keep quotes readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static bool IsJson(HttpRequest request) =>
        request.ContentType is { } type && (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || type.Contains("+json", StringComparison.OrdinalIgnoreCase));

    public static bool IsImageOrForm(HttpRequest request) =>
        request.ContentType is { } type && (type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || request.HasFormContentType);

    /// <summary>The uploaded images, each with the client's name for it (or "image N").</summary>
    public static async Task<List<NamedBytes>> ReadImagesAsync(HttpRequest request, ServerOptions options, CancellationToken cancellationToken)
    {
        var type = request.ContentType;
        if (type is not null && type.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
        {
            var bytes = await ReadBodyAsync(request, options.MaxBodyBytes, cancellationToken);
            if (bytes.Length == 0)
            {
                throw ApiException.BadRequest("The request body is empty; send the image bytes.");
            }

            return [new NamedBytes("image 1", bytes)];
        }

        if (request.HasFormContentType)
        {
            CheckDeclaredLength(request, options.MaxBodyBytes);
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(new FormOptions
                {
                    MultipartBodyLengthLimit = options.MaxBodyBytes,
                    ValueCountLimit = options.MaxItemsPerRequest + 16,
                    BufferBody = false,
                }, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                throw e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                    ? ApiException.TooLarge($"The multipart body exceeds a limit: {e.Message}")
                    : ApiException.BadRequest($"The multipart body is malformed: {e.Message}");
            }
            catch (IOException e) when (e is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                // The body ended before its closing boundary (or inside a part): the request is malformed,
                // not a server failure. Kestrel's own refusals (BadHttpRequestException) keep their status.
                throw ApiException.BadRequest($"The multipart body is malformed: {e.Message} (is the closing boundary missing?)");
            }

            if (form.Files.Count == 0)
            {
                throw ApiException.BadRequest("The multipart body holds no file parts; attach one or more images.");
            }

            if (form.Files.Count > options.MaxItemsPerRequest)
            {
                throw ApiException.Unprocessable($"{form.Files.Count} images in one request; at most {options.MaxItemsPerRequest}.");
            }

            var images = new List<NamedBytes>(form.Files.Count);
            foreach (var file in form.Files)
            {
                using var stream = file.OpenReadStream();
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, cancellationToken);
                var name = string.IsNullOrWhiteSpace(file.FileName) ? $"image {images.Count + 1}" : Path.GetFileName(file.FileName);
                images.Add(new NamedBytes(name, buffer.ToArray()));
            }

            return images;
        }

        throw ApiException.UnsupportedMediaType(
            $"Content-Type '{type ?? "(none)"}' is not accepted here: send one image as image/* ({ImageFormats.Names}) or several as multipart/form-data.");
    }

    /// <summary>Reads and deserializes a JSON body; an empty body gives <paramref name="empty"/>.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpRequest request, ServerOptions options, T? empty, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength == 0 || (request.ContentType is null && request.ContentLength is null && empty is not null))
        {
            return empty ?? throw ApiException.BadRequest("The request body is empty; send a JSON object.");
        }

        if (!IsJson(request))
        {
            throw ApiException.UnsupportedMediaType($"Content-Type '{request.ContentType ?? "(none)"}' is not accepted here: send application/json.");
        }

        var bytes = await ReadBodyAsync(request, options.MaxBodyBytes, cancellationToken);
        if (bytes.Length == 0)
        {
            return empty ?? throw ApiException.BadRequest("The request body is empty; send a JSON object.");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(bytes, Json) ?? throw ApiException.BadRequest("The JSON body is null; send an object.");
        }
        catch (JsonException e)
        {
            // System.Text.Json names the path and position, not our types' internals: safe to return.
            throw ApiException.BadRequest($"The JSON body is malformed: {e.Message}");
        }
    }

    /// <summary>Preprocesses one uploaded image for <paramref name="model"/>, mapping the core's refusals to statuses.</summary>
    public static float[] ToTensor(Autoencoder model, NamedBytes image)
    {
        using var stream = new MemoryStream(image.Bytes, writable: false);
        try
        {
            return model.Images.LoadTensor(stream, image.Name);
        }
        catch (ImageLoadException e)
        {
            throw ApiException.From(FailureTable.Classify(e), $"Image '{image.Name}': {e.Message}");
        }
    }

    private static void CheckDeclaredLength(HttpRequest request, long limit)
    {
        if (request.ContentLength > limit)
        {
            throw ApiException.TooLarge($"The body is {request.ContentLength} bytes; the limit is {limit}.");
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        CheckDeclaredLength(request, limit);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw ApiException.TooLarge($"The body exceeds the limit of {limit} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
