using System.Text.Json;
using AeOnnx.Imaging;
using AeOnnx.Server.Hosting;
using Microsoft.AspNetCore.Http;

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

        // Strict: a misspelt field ({"cnt": 4}) or a field given twice is refused (400 naming it), never
        // silently ignored or overwritten.
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,

        // Numbers are numbers: "4" for a count is refused, and the OpenAPI schemas say plain number/integer.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,

        // Responses go to API clients and our own page, never into HTML unescaped: keep quotes readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static bool IsJson(HttpRequest request) =>
        request.ContentType is { } type && (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || type.Contains("+json", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// True for a body whose type says nothing about its content: no Content-Type, <c>application/octet-stream</c>,
    /// or curl's default for <c>--data-binary</c> (<c>application/x-www-form-urlencoded</c>). Its bytes decide.
    /// </summary>
    public static bool IsUnlabelled(HttpRequest request) =>
        string.IsNullOrWhiteSpace(request.ContentType)
        || request.ContentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase)
        || request.ContentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The uploaded images, each with the client's name for it (or "image N"). The body is reserved
    /// from the server's body budget (its declared length, or the largest body when chunked) before
    /// it is read; the reservation is released when the request has answered. The wait for the budget
    /// ends with the request's deadline (<paramref name="cancellationToken"/>); a body once started is
    /// read to its end (only the client's going away stops it: Kestrel's minimum data rate bounds a slow
    /// one), so a request out of time is answered whole instead of its connection being cut mid-body.
    /// A single image is recognised by its bytes: an unlabelled body is accepted when it is an image, and a
    /// body whose <c>image/*</c> label names another format than its bytes is refused (400).
    /// </summary>
    public static async Task<List<NamedBytes>> ReadImagesAsync(HttpContext context, ServerOptions options, RequestBudgets budgets, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var type = request.ContentType;
        var labelled = type is not null && type.StartsWith("image/", StringComparison.OrdinalIgnoreCase);
        if (labelled || IsUnlabelled(request))
        {
            var declared = labelled ? MediaType(type!) : null;
            if (declared is not null && !ImageFormats.MediaTypes.Contains(declared, StringComparer.OrdinalIgnoreCase))
            {
                throw ApiException.UnsupportedMediaType($"Content-Type '{declared}' is not a supported image type; accepted: {string.Join(", ", ImageFormats.MediaTypes)} ({ImageFormats.Names}).");
            }

            await ReserveBodyAsync(context, options, budgets, 1, cancellationToken);
            var bytes = await ReadBodyAsync(request, options.MaxBodyBytes, context.RequestAborted);
            cancellationToken.ThrowIfCancellationRequested();
            if (bytes.Length == 0)
            {
                throw ApiException.BadRequest("The request body is empty; send the image bytes.");
            }

            var found = ImageFormats.Detect(bytes);
            if (found is null)
            {
                var said = declared is null ? $"sent as '{type ?? "(no Content-Type)"}'" : $"labelled '{declared}'";
                var hint = LooksLikeJson(bytes) ? " It looks like JSON: send it with Content-Type: application/json." : string.Empty;
                throw ApiException.UnsupportedMediaType($"The body ({said}) is not a {ImageFormats.Names} image: its first bytes match none of them.{hint}");
            }

            if (declared is not null && !found.MediaTypes.Contains(declared, StringComparer.OrdinalIgnoreCase))
            {
                throw ApiException.BadRequest($"Content-Type says '{declared}' but the body is a {found.Name} image; send '{found.MediaTypes[0]}', or application/octet-stream to let the server tell.");
            }

            return [new NamedBytes("image 1", bytes)];
        }

        if (request.HasFormContentType)
        {
            CheckDeclaredLength(request, options.MaxBodyBytes);
            await ReserveBodyAsync(context, options, budgets, 1, cancellationToken);
            var images = await ReadMultipartAsync(request, options, context.RequestAborted);
            cancellationToken.ThrowIfCancellationRequested();
            return images;
        }

        throw ApiException.UnsupportedMediaType(
            $"Content-Type '{type}' is not accepted here: send one image as image/* ({ImageFormats.Names}) or application/octet-stream, or several as multipart/form-data.");
    }

    private static string MediaType(string contentType) => contentType.Split(';', 2)[0].Trim();

    private static bool LooksLikeJson(ReadOnlySpan<byte> bytes)
    {
        var text = bytes.TrimStart("\uFEFF"u8).TrimStart(" \t\r\n"u8);
        return text.Length > 0 && (text[0] == (byte)'{' || text[0] == (byte)'[');
    }

    /// <summary>
    /// The file parts of a multipart body, read straight from the request into one array each: no part
    /// is buffered to a temporary file (a container's /tmp is often memory, outside any budget), and the
    /// body is held once. Other parts are read past. A body cut before its closing boundary is 400.
    /// </summary>
    private static async Task<List<NamedBytes>> ReadMultipartAsync(HttpRequest request, ServerOptions options, CancellationToken cancellationToken)
    {
        var boundary = Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            ? Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value
            : null;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 200)
        {
            throw ApiException.BadRequest("The multipart body is malformed: the Content-Type names no boundary (or one over 200 characters).");
        }

        var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, request.Body)
        {
            HeadersCountLimit = 16,
            HeadersLengthLimit = 16 * 1024,
            BodyLengthLimit = options.MaxBodyBytes,
        };
        var images = new List<NamedBytes>();
        var parts = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (++parts > options.MaxItemsPerRequest + 16)
                {
                    throw ApiException.Unprocessable($"More than {options.MaxItemsPerRequest + 16} parts in one request; at most {options.MaxItemsPerRequest} images.");
                }

                if (!Microsoft.Net.Http.Headers.ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !IsFile(disposition))
                {
                    // A form field, not a file: read past it.
                    await section.Body.CopyToAsync(Stream.Null, cancellationToken);
                    continue;
                }

                if (images.Count == options.MaxItemsPerRequest)
                {
                    throw ApiException.Unprocessable($"More than {options.MaxItemsPerRequest} images in one request; at most {options.MaxItemsPerRequest}.");
                }

                using var buffer = new MemoryStream();
                await section.Body.CopyToAsync(buffer, cancellationToken);
                var fileName = Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(disposition!.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                var name = string.IsNullOrWhiteSpace(fileName) ? $"image {images.Count + 1}" : Path.GetFileName(fileName);
                images.Add(new NamedBytes(name, buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray()));
            }
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

        if (images.Count == 0)
        {
            throw ApiException.BadRequest("The multipart body holds no file parts; attach one or more images.");
        }

        return images;
    }

    private static bool IsFile(Microsoft.Net.Http.Headers.ContentDispositionHeaderValue disposition) =>
        disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
        && (!Microsoft.Extensions.Primitives.StringSegment.IsNullOrEmpty(disposition.FileName) || !Microsoft.Extensions.Primitives.StringSegment.IsNullOrEmpty(disposition.FileNameStar));

    /// <summary>
    /// Reads and deserializes a JSON body; an empty body gives <paramref name="empty"/>. The body counts five
    /// times its size in the body budget (what parsing it builds). A body without a Content-Type (or
    /// <c>application/octet-stream</c>) is read as JSON when it is one. Unknown and repeated fields are 400 naming them.
    /// </summary>
    public static async Task<T> ReadJsonAsync<T>(HttpContext context, ServerOptions options, RequestBudgets budgets, T? empty, CancellationToken cancellationToken)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength == 0 || (request.ContentType is null && request.ContentLength is null && !request.Headers.TransferEncoding.Any() && empty is not null))
        {
            return empty ?? throw ApiException.BadRequest("The request body is empty; send a JSON object.");
        }

        var unlabelled = IsUnlabelled(request);
        if (!IsJson(request) && !unlabelled)
        {
            throw ApiException.UnsupportedMediaType($"Content-Type '{request.ContentType}' is not accepted here: send application/json.");
        }

        await ReserveBodyAsync(context, options, budgets, JsonFactor, cancellationToken);
        var bytes = await ReadBodyAsync(request, options.MaxBodyBytes, context.RequestAborted);
        cancellationToken.ThrowIfCancellationRequested();
        if (bytes.Length == 0)
        {
            return empty ?? throw ApiException.BadRequest("The request body is empty; send a JSON object.");
        }

        if (unlabelled && !LooksLikeJson(bytes))
        {
            var image = ImageFormats.Detect(bytes) is { } format ? $" (it is a {format.Name} image; this endpoint takes JSON)" : string.Empty;
            throw ApiException.UnsupportedMediaType($"The body (sent as '{request.ContentType ?? "(no Content-Type)"}') is not JSON{image}: send a JSON object as application/json.");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(bytes, Json) ?? throw ApiException.BadRequest("The JSON body is null; send an object.");
        }
        catch (JsonException e) when (e.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            throw ApiException.BadRequest($"Unknown field '{FieldName(e.Path)}' in the JSON body; accepted here: {string.Join(", ", JsonFields.Of(typeof(T), e.Path))}.");
        }
        catch (JsonException e) when (e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.BadRequest($"The field '{FieldName(e.Path)}' is given twice in the JSON body; give it once.");
        }
        catch (JsonException e)
        {
            // System.Text.Json names the path and position, not our types' internals: safe to return.
            throw ApiException.BadRequest($"The JSON body is malformed: {e.Message}");
        }
    }

    private static string FieldName(string? path) => path is null ? "?" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    /// <summary>Parsed JSON (arrays of numbers, lists that grow by doubling) holds up to this many times its text.</summary>
    private const int JsonFactor = 5;

    private static async Task ReserveBodyAsync(HttpContext context, ServerOptions options, RequestBudgets budgets, int factor, CancellationToken cancellationToken)
    {
        CheckDeclaredLength(context.Request, options.MaxBodyBytes);
        var length = Math.Min(context.Request.ContentLength ?? options.MaxBodyBytes, options.MaxBodyBytes);
        var reservation = await budgets.Bodies.ReserveAsync(Math.Min(length * factor, budgets.Bodies.Capacity), cancellationToken);
        context.Response.RegisterForDispose(reservation);
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
        if (request.ContentLength is { } declared)
        {
            // Kestrel holds a body to its declared length (a shorter one fails the read): read it straight
            // into an array of that size, with no staging buffer and no copy.
            var body = new byte[declared];
            var filled = 0;
            int got;
            while (filled < body.Length && (got = await request.Body.ReadAsync(body.AsMemory(filled), cancellationToken)) > 0)
            {
                filled += got;
            }

            return filled == body.Length ? body : body[..filled];
        }

        // Chunked: no length to size by. The staging buffer is pooled: a fresh 80 KiB array per request
        // was most of what an encode request allocated.
        using var buffer = new MemoryStream();
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw ApiException.TooLarge($"The body exceeds the limit of {limit} bytes.");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }
}
