using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AeOnnx.Server.Tests.Support;
using AeOnnx.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>
/// Non-finite results are 422 everywhere (arithmetic, interpolation, decoding, sampling): never written
/// as JSON (which cannot hold them: a 500 before), never decoded into a picture. Malformed multipart is 400.
/// </summary>
[Collection(ServedModelCollection.Name)]
public sealed class NonFiniteTests(ServedModelFixture fixture)
{
    private HttpClient Client => fixture.Client;

    private static float[] Filled(float value) => Enumerable.Repeat(value, 16).ToArray();

    private async Task ExpectAsync(string url, object body, string reason, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = TestServer.Json(body) };
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        using var response = await Client.SendAsync(request);
        await Assertions.ProblemAsync(response, HttpStatusCode.UnprocessableEntity, reason);
    }

    [Fact]
    public async Task Arithmetic_that_overflows_float32_is_422_as_json_and_as_png()
    {
        var huge = new { latent = Filled(0.5f), terms = new[] { new { latent = Filled(1f), weight = 1e300 } } };
        await ExpectAsync("v1/arithmetic", huge, "The result latent is not finite");
        await ExpectAsync("v1/arithmetic", huge, "The result latent is not finite", accept: "image/png");

        var twoLarge = new { latent = Filled(3e38f), terms = new[] { new { latent = Filled(3e38f), weight = 1.0 } } };
        await ExpectAsync("v1/arithmetic", twoLarge, "weighted terms overflow float32");

        // Terms that cancel are fine: the sum is taken in float64 (in float32 the first term alone overflows).
        var cancelling = new { latent = Filled(0f), terms = new[] { new { latent = Filled(3e38f), weight = 2.0 }, new { latent = Filled(3e38f), weight = -2.0 } } };
        using var ok = await Client.PostAsync("v1/arithmetic", TestServer.Json(cancelling));
        var json = await TestServer.ReadJsonAsync(ok);
        Assert.All(json.GetProperty("latent").EnumerateArray(), v => Assert.Equal(0f, v.GetSingle()));
    }

    [Fact]
    public async Task An_interpolation_path_that_overflows_is_422()
    {
        // Lerp stays finite between finite keys (the decoder then overflows); slerp's norms overflow float32.
        foreach (var mode in new[] { "lerp", "slerp" })
        {
            var body = new { latents = new[] { Filled(3e38f), Filled(-3e38f) }, steps = 4, mode };
            await ExpectAsync("v1/interpolate?format=frames", body, "finite");
            await ExpectAsync("v1/interpolate?format=gif", body, "finite");
        }
    }

    [Fact]
    public async Task Finite_latents_the_decoder_turns_into_infinity_or_nan_are_422_not_a_picture()
    {
        // Before the fix: a 200 PNG of whatever the clamped infinities gave.
        await ExpectAsync("v1/decode", new { latents = new[] { Filled(3e38f) } }, "The model produced a non-finite value");
        await ExpectAsync("v1/decode?format=json", new { latents = new[] { Filled(0f), Filled(3e38f) } }, "in the image for latents[1]");
        await ExpectAsync("v1/interpolate", new { latents = new[] { Filled(1e38f), Filled(2e38f) }, steps = 2, mode = "lerp" }, "The model produced a non-finite value");
    }

    [Fact]
    public async Task Samples_from_a_distribution_that_overflows_are_422()
    {
        using var folder = TestModels.Copy(TestModels.FashionAe);
        TestModels.EditManifest(folder.Path, m =>
        {
            var cholesky = m["latent"]!["cholesky"]!.AsArray();
            for (var i = 0; i < cholesky.Count; i++)
            {
                cholesky[i]![i] = 3e38;
            }
        });
        await using var server = await TestServer.StartAsync(folder.Path);
        using var response = await server.Client.PostAsync("v1/sample", TestServer.Json(new { count = 4, temperature = 10 }));
        await Assertions.ProblemAsync(response, HttpStatusCode.UnprocessableEntity, "The sampled latent");
    }

    [Theory]
    [InlineData("no closing boundary", "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\nabc")]
    [InlineData("cut inside the headers", "--b\r\nContent-Disposition: form-da")]
    [InlineData("only a preamble", "hello")]
    public async Task Malformed_multipart_is_400(string what, string body)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        using var response = await Client.PostAsync("v1/encode", content);
        var detail = await Assertions.ProblemAsync(response, HttpStatusCode.BadRequest, "The multipart body");
        Assert.False(string.IsNullOrEmpty(detail), what);
    }
}
