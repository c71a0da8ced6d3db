using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AeOnnx.Server.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>
/// What HTTP clients and their tools rely on: strict JSON, content told by its bytes, seeds that are
/// random unless given and always echoed, HEAD on the health routes, reloads that swap only a change.
/// </summary>
[Collection(ServedModelCollection.Name)]
public sealed class ConventionTests(ServedModelFixture fixture)
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task An_unknown_field_is_refused_naming_it_and_the_fields_accepted()
    {
        // Before: {"cnt": 4} was ignored and gave the default 8 samples.
        using var response = await Client.PostAsync("v1/sample", Raw("{\"cnt\": 4}", "application/json"));
        await Assertions.ProblemAsync(response, HttpStatusCode.BadRequest, "Unknown field 'cnt' in the JSON body; accepted here: count, seed, temperature, from.");
    }

    [Fact]
    public async Task An_unknown_field_inside_a_term_names_its_path_and_the_terms_fields()
    {
        using var response = await Client.PostAsync("v1/arithmetic", Raw("{\"class\": \"Sneaker\", \"terms\": [{\"class\": \"Sandal\", \"weigth\": 0.5}]}", "application/json"));
        await Assertions.ProblemAsync(response, HttpStatusCode.BadRequest, "Unknown field 'terms[0].weigth' in the JSON body; accepted here: class, latent, weight.");
    }

    [Fact]
    public async Task A_field_given_twice_is_refused()
    {
        using var response = await Client.PostAsync("v1/sample", Raw("{\"count\": 2, \"count\": 3}", "application/json"));
        await Assertions.ProblemAsync(response, HttpStatusCode.BadRequest, "'count' is given twice in the JSON body");
    }

    [Fact]
    public async Task Class_and_latent_together_are_a_conflict_not_a_silent_choice()
    {
        var latent = new float[16];
        using var start = await Client.PostAsync("v1/arithmetic", TestServer.Json(new { @class = "Sneaker", latent }));
        await Assertions.ProblemAsync(start, HttpStatusCode.BadRequest, "'latent' and 'class' are both given; the start is one of them.");

        using var term = await Client.PostAsync("v1/arithmetic", TestServer.Json(new { @class = "Sneaker", terms = new[] { new { @class = "Sandal", latent, weight = 1.0 } } }));
        await Assertions.ProblemAsync(term, HttpStatusCode.BadRequest, "terms[0] gives both 'class' and 'latent'; a term is one of them.");
    }

    [Fact]
    public async Task A_setting_in_both_the_body_and_the_query_is_a_conflict()
    {
        using var response = await Client.PostAsync("v1/sample?seed=2", TestServer.Json(new { seed = 1 }));
        await Assertions.ProblemAsync(response, HttpStatusCode.BadRequest, "'seed' is 1 in the JSON body but '2' in the query string; give it once.");

        // The same value in both places is no conflict.
        using var same = await Client.PostAsync("v1/sample?format=json&seed=1&count=2", TestServer.Json(new { seed = 1, count = 2 }));
        Assert.Equal(1, (await TestServer.ReadJsonAsync(same)).GetProperty("seed").GetInt32());
    }

    [Fact]
    public async Task Sampling_without_a_seed_draws_a_random_one_and_every_answer_echoes_its_seed()
    {
        var seeds = new List<int>();
        var latents = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await Client.PostAsync("v1/sample?format=json&count=2", null);
            var json = await TestServer.ReadJsonAsync(response);
            var seed = json.GetProperty("seed").GetInt32();
            Assert.Equal(seed.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("X-AeOnnx-Seed").Single());
            seeds.Add(seed);
            latents.Add(json.GetProperty("latents").GetRawText());
        }

        // Two draws from 2^31 seeds agree with probability 2^-31.
        Assert.NotEqual(seeds[0], seeds[1]);
        Assert.NotEqual(latents[0], latents[1]);

        // The echoed seed draws the same latents again, and the PNG answer carries its seed too.
        using (var again = await Client.PostAsync("v1/sample?format=json", TestServer.Json(new { count = 2, seed = seeds[0] })))
        {
            var json = await TestServer.ReadJsonAsync(again);
            Assert.Equal(latents[0], json.GetProperty("latents").GetRawText());
            Assert.Equal(seeds[0], json.GetProperty("seed").GetInt32());
        }

        using var png = await Client.PostAsync("v1/sample?seed=7", null);
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        Assert.Equal("7", png.Headers.GetValues("X-AeOnnx-Seed").Single());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/octet-stream")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task An_unlabelled_image_is_recognised_by_its_bytes(string? type)
    {
        var path = Repo.Samples(1)[0];
        using var labelled = await Client.PostAsync("v1/encode", TestServer.Png(path));
        using var unlabelled = await Client.PostAsync("v1/encode", Bytes(File.ReadAllBytes(path), type));

        var expected = await TestServer.ReadJsonAsync(labelled);
        var found = await TestServer.ReadJsonAsync(unlabelled);
        Assert.Equal(expected.GetProperty("latents").GetRawText(), found.GetProperty("latents").GetRawText());
    }

    [Fact]
    public async Task A_png_labelled_jpeg_is_refused_naming_both()
    {
        using var response = await Client.PostAsync("v1/encode", Bytes(File.ReadAllBytes(Repo.Samples(1)[0]), "image/jpeg"));
        await Assertions.ProblemAsync(response, HttpStatusCode.BadRequest, "Content-Type says 'image/jpeg' but the body is a PNG image");
    }

    [Fact]
    public async Task Bytes_that_are_no_image_are_415_and_json_sent_without_a_type_is_pointed_at_its_type()
    {
        using var text = await Client.PostAsync("v1/encode", Bytes(Encoding.ASCII.GetBytes("hello, not an image"), null));
        await Assertions.ProblemAsync(text, HttpStatusCode.UnsupportedMediaType, "The body (sent as '(no Content-Type)') is not a PNG, JPEG");

        using var json = await Client.PostAsync("v1/encode", Bytes(Encoding.ASCII.GetBytes("{\"latents\": []}"), "application/octet-stream"));
        await Assertions.ProblemAsync(json, HttpStatusCode.UnsupportedMediaType, "It looks like JSON: send it with Content-Type: application/json.");

        using var tiff = await Client.PostAsync("v1/encode", Bytes([1, 2, 3], "image/tiff"));
        await Assertions.ProblemAsync(tiff, HttpStatusCode.UnsupportedMediaType, "Content-Type 'image/tiff' is not a supported image type");
    }

    [Fact]
    public async Task Json_without_a_content_type_is_read_as_json_and_an_image_sent_to_a_json_endpoint_is_415()
    {
        using var sampled = await Client.PostAsync("v1/sample?format=json", Bytes(Encoding.UTF8.GetBytes("{\"count\": 3, \"seed\": 1}"), null));
        Assert.Equal(3, (await TestServer.ReadJsonAsync(sampled)).GetProperty("latents").GetArrayLength());

        using var image = await Client.PostAsync("v1/decode", Bytes(File.ReadAllBytes(Repo.Samples(1)[0]), null));
        await Assertions.ProblemAsync(image, HttpStatusCode.UnsupportedMediaType, "is not JSON (it is a PNG image; this endpoint takes JSON)");
    }

    [Theory]
    [InlineData("healthz")]
    [InlineData("readyz")]
    public async Task Health_routes_answer_head_like_get_without_a_body(string route)
    {
        using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, route));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/plain", head.Content.Headers.ContentType?.MediaType);

        // Health answers are never cached by a proxy in front of the service.
        Assert.True(head.Headers.CacheControl?.NoStore, "Cache-Control: no-store");

        using var post = await Client.PostAsync(route, null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    private static ByteArrayContent Bytes(byte[] bytes, string? type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = type is null ? null : new MediaTypeHeaderValue(type);
        return content;
    }

    private static ByteArrayContent Raw(string json, string type) => Bytes(Encoding.UTF8.GetBytes(json), type);
}
