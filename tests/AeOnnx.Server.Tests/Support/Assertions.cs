using System.Net;
using System.Text.Json;

namespace AeOnnx.Server.Tests.Support;

internal static class Assertions
{
    /// <summary>Latents equal within float32 noise (a row run in a batch of N may round differently from a batch of 1).</summary>
    public static void Close(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var scale = Math.Max(1.0, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"[{i}] expected {expected[i]}, got {actual[i]}");
        }
    }

    /// <summary>An RFC 7807 problem document with this status and a detail containing <paramref name="reason"/>; no stack trace, no server path.</summary>
    public static async Task<string> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string reason)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal($"https://httpstatuses.io/{(int)status}", problem.GetProperty("type").GetString());
        Assert.Equal(Uri.UnescapeDataString(response.RequestMessage!.RequestUri!.AbsolutePath), problem.GetProperty("instance").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(reason, detail, StringComparison.Ordinal);
        Assert.DoesNotContain(" at AeOnnx", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Repo.Root, text, StringComparison.Ordinal);

        // Refusals that pass tell the client when to come back (RFC 9110 Retry-After); the others do not.
        var retryAfter = response.Headers.RetryAfter?.Delta?.TotalSeconds;
        Assert.Equal(status switch { HttpStatusCode.TooManyRequests => 1, HttpStatusCode.ServiceUnavailable => 5, _ => (double?)null }, retryAfter);
        return detail;
    }
}
