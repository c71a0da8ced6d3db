using System.Globalization;
using AeOnnx.Server.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>/metrics scraped as Prometheus would: the served model's identity, queue and inference time, batch sizes, process and runtime figures, and only the service's routes as labels.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class MetricsTests(ServedModelFixture fixture)
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task The_scrape_names_the_model_splits_queue_and_inference_time_and_has_process_and_runtime_metrics()
    {
        using (await Client.PostAsync("v1/encode", TestServer.Multipart(Repo.Samples(3))))
        {
        }

        using (await Client.GetAsync("no/such/route"))
        using (await Client.GetAsync("openapi/v1.json"))
        {
        }

        var lines = (await Client.GetStringAsync("metrics")).Split('\n');
        var core = fixture.Core;
        Assert.Contains(
            $"aeonnx_model_info{{name=\"fashion-mnist-ae\",kind=\"ae\",encoder_sha256=\"{core.Manifest.Encoder.Sha256}\",decoder_sha256=\"{core.Manifest.Decoder.Sha256}\",generation=\"0\"}} 1",
            lines);

        // The three rows ran in runs the batcher recorded: as many rows queued as ran, and as many runs timed as sized.
        Assert.True(Value(lines, "aeonnx_queue_seconds_count{operation=\"encode\"}") >= 3);
        Assert.Equal(Value(lines, "aeonnx_batch_size_count{operation=\"encode\"}"), Value(lines, "aeonnx_inference_seconds_count{operation=\"encode\"}"));
        Assert.Equal(Value(lines, "aeonnx_batch_size_sum{operation=\"encode\"}"), Value(lines, "aeonnx_queue_seconds_count{operation=\"encode\"}"));

        foreach (var name in new[] { "process_cpu_seconds_total", "process_working_set_bytes", "process_open_handles", "dotnet_total_memory_bytes", "dotnet_gc_heap_size_bytes", "dotnet_gc_pause_seconds_total", "dotnet_thread_pool_threads" })
        {
            Assert.Contains(lines, l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal));
        }

        Assert.True(Value(lines, "process_cpu_seconds_total") > 0);

        var endpoints = lines.Where(l => l.StartsWith("aeonnx_requests_total{", StringComparison.Ordinal)).Select(l => l.Split('"')[1]).Distinct().ToArray();
        Assert.Contains("/v1/encode", endpoints);
        Assert.All(endpoints, e => Assert.True(e.StartsWith("/v1/", StringComparison.Ordinal) || e is "/healthz" or "/readyz", e));
    }

    private static double Value(string[] lines, string series) =>
        double.Parse(lines.Single(l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], CultureInfo.InvariantCulture);
}
