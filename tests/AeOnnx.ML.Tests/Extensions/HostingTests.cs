using AeOnnx.ML.Extensions;
using AeOnnx.ML.Tests.Support;
using AeOnnx.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML;

namespace AeOnnx.ML.Tests.Extensions;

/// <summary>AddAeOnnx and AddPredictionEnginePool in a real Host with an in-memory configuration, on the shipped models.</summary>
public sealed class HostingTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(3);
    private readonly TempFolder _temp = new();
    private readonly ListLoggerProvider _logs = new();

    public void Dispose()
    {
        AeOnnxModelCache.Clear();
        _temp.Dispose();
    }

    private static float[] CoreLatent(string model, string image)
    {
        using var core = Autoencoder.Load(TestModels.Folder(model), TestModels.CpuOptions());
        return core.Encode(image);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"value {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection, IConfiguration> register)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(_logs);
        register(builder.Services, builder.Configuration);
        return builder.Build();
    }

    /// <summary>A pipeline LoadImages → Encode on a shipped model, saved with the model embedded.</summary>
    private string SavePipeline(string model, string name)
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.SampleView(ml);
        var folder = TestModels.Folder(model);
        var t = ml.Transforms.Autoencoder();
        var fitted = t.LoadImages(new AutoencoderImageLoadingOptions { OutputColumnName = "Pixels", InputColumnName = "ImagePath", ModelDirectory = folder, Device = Device.Cpu })
            .Append(t.Encode(new AutoencoderEncodingOptions { OutputColumnName = "Latent", InputColumnName = "Pixels", ModelDirectory = folder, Device = Device.Cpu }))
            .Fit(data);
        var path = _temp.File(name);
        ml.SaveWithAeOnnx(fitted, data.Schema, path, new AeOnnxSaveOptions { EmbedModels = true });
        return path;
    }

    private string CopyModel(string model, string into)
    {
        var target = Directory.CreateDirectory(_temp.File(into)).FullName;
        foreach (var file in Directory.GetFiles(TestModels.Folder(model)))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    /// <summary>Replaces a file the way deployments should: written beside it, then renamed over it.</summary>
    private void ReplaceByRename(string path, byte[] bytes)
    {
        var staging = _temp.File(Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllBytes(staging, bytes);
        File.Move(staging, path, overwrite: true);
    }

    [Fact]
    public async Task Configured_settings_are_bound_and_the_named_model_encodes_like_the_core()
    {
        var image = TestData.SamplePaths()[0];
        using var host = Build(
            new()
            {
                ["AeOnnx:Device"] = "cpu",
                ["AeOnnx:BatchSize"] = "8",
                ["AeOnnx:IntraOpThreads"] = "1",
                ["AeOnnx:Models:fashion:Path"] = TestModels.Folder(TestModels.FashionAe),
            },
            (services, configuration) => services.AddAeOnnx(configuration));
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<AeOnnxOptions>>().Value;
        Assert.Equal(("cpu", 8, 1), (options.Device, options.BatchSize, options.IntraOpThreads));
        var models = host.Services.GetRequiredService<AeOnnxModels>();
        Assert.Equal(["fashion"], models.Names);
        var model = models.Get("fashion");
        Assert.Equal(Device.Cpu, model.Current.Device);
        AssertClose(CoreLatent(TestModels.FashionAe, image), model.Run(m => m.Encode(image)));

        var unknown = Assert.Throws<ArgumentException>(() => models.Get("other"));
        Assert.Contains("No AeOnnx model named 'other' (configured: fashion under AeOnnx:Models)", unknown.Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task Bad_settings_stop_the_start_naming_each_key()
    {
        using var host = Build(
            new() { ["AeOnnx:Device"] = "gpu9", ["AeOnnx:BatchSize"] = "0" },
            (services, configuration) => services.AddAeOnnx(configuration));

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("AeOnnx:Device is \"gpu9\"; expected auto, cpu, cuda or cuda:N.", e.Failures);
        Assert.Contains("AeOnnx:BatchSize is 0; expected a positive number.", e.Failures);
    }

    [Fact]
    public async Task A_missing_model_stops_the_start_not_the_first_request()
    {
        using var host = Build(
            new() { ["AeOnnx:Models:fashion:Path"] = _temp.File("nothing-here") },
            (services, configuration) => services.AddAeOnnx(configuration));

        await Assert.ThrowsAsync<ModelLoadException>(() => host.StartAsync());
    }

    [Fact]
    public async Task Hosted_watch_swaps_a_named_model_when_its_pointer_is_rewritten_and_logs_through_the_logger_factory()
    {
        var image = TestData.SamplePaths()[0];
        CopyModel(TestModels.FashionAe, "a");
        CopyModel(TestModels.FashionVae, "b");
        var pointer = _temp.File("current.txt");
        File.WriteAllText(pointer, "a\n");
        using var host = Build(
            new()
            {
                ["AeOnnx:Device"] = "cpu",
                ["AeOnnx:WatchInterval"] = "00:00:00.050",
                ["AeOnnx:Models:fashion:Path"] = pointer,
                ["AeOnnx:Models:fashion:WatchForChanges"] = "true",
            },
            (services, configuration) => services.AddAeOnnx(configuration));
        var models = host.Services.GetRequiredService<AeOnnxModels>();
        var reloaded = new TaskCompletionSource<ModelReloadedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        models.ModelReloaded += (_, e) => reloaded.TrySetResult(e);
        await host.StartAsync();
        var before = models.Get("fashion").Run(m => m.Encode(image));

        ReplaceByRename(pointer, "b\n"u8.ToArray());
        var swap = await reloaded.Task.WaitAsync(Guard);
        var after = models.Get("fashion").Run(m => m.Encode(image));
        await host.StopAsync();

        Assert.True(swap.Swapped, swap.Error);
        Assert.Equal(1, models.Swaps);
        AssertClose(CoreLatent(TestModels.FashionAe, image), before);
        AssertClose(CoreLatent(TestModels.FashionVae, image), after);
        Assert.Contains(_logs.Entries, e => e.Category == "AeOnnx.Models.fashion" && e.Level == LogLevel.Information && e.Message.Contains("swapped to '" + _temp.File("b") + "'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pool_predicts_by_name_from_saved_pipelines_and_reloads_a_watched_zip()
    {
        var rows = TestData.SampleRows();
        var aeZip = SavePipeline(TestModels.FashionAe, "ae.zip");
        var vaeZip = SavePipeline(TestModels.FashionVae, "vae.zip");
        var served = _temp.File("served.zip");
        File.Copy(aeZip, served);
        using var host = Build(
            new() { ["AeOnnx:IntraOpThreads"] = "1", ["AeOnnx:WatchInterval"] = "00:00:00.050" },
            (services, configuration) =>
            {
                services.AddAeOnnx(configuration);
                services.AddPredictionEnginePool<ImageRow, SaveLoadTests.LatentRow>()
                    .FromFile(modelName: "fashion", filePath: served, watchForChanges: true)
                    .FromFile(modelName: "fixed-vae", filePath: vaeZip);
            });
        var pool = host.Services.GetRequiredService<PredictionEnginePool<ImageRow, SaveLoadTests.LatentRow>>();
        var reloaded = new TaskCompletionSource<ModelReloadedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        pool.ModelReloaded += (_, e) => reloaded.TrySetResult(e);
        await host.StartAsync();

        foreach (var row in rows)
        {
            AssertClose(CoreLatent(TestModels.FashionAe, row.ImagePath), pool.Predict("fashion", row).Latent);
            AssertClose(CoreLatent(TestModels.FashionVae, row.ImagePath), pool.Predict("fixed-vae", row).Latent);
        }

        var engine = pool.GetPredictionEngine("fashion");
        ReplaceByRename(served, File.ReadAllBytes(vaeZip));
        var reload = await reloaded.Task.WaitAsync(Guard);
        Assert.True(reload.Swapped, reload.Error);
        AssertClose(CoreLatent(TestModels.FashionVae, rows[0].ImagePath), pool.Predict("fashion", rows[0]).Latent);

        // An engine taken before the reload finishes on the old pipeline and can be given back.
        AssertClose(CoreLatent(TestModels.FashionAe, rows[1].ImagePath), engine.Predict(rows[1]).Latent);
        pool.ReturnPredictionEngine("fashion", engine);
        await host.StopAsync();

        var missing = Assert.Throws<ArgumentException>(() => pool.Predict("other", rows[0]));
        Assert.Contains("No model named 'other' in the prediction engine pool (registered: fashion, fixed-vae; add it with FromFile).", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_zip_is_refused_and_the_current_pipeline_keeps_serving()
    {
        var row = TestData.SampleRows()[0];
        var served = _temp.File("served.zip");
        File.Copy(SavePipeline(TestModels.FashionAe, "ae.zip"), served);
        using var host = Build(
            new() { ["AeOnnx:WatchInterval"] = "00:00:00.050" },
            (services, configuration) => services.AddAeOnnx(configuration).AddPredictionEnginePool<ImageRow, SaveLoadTests.LatentRow>().FromFile(served, watchForChanges: true));
        var pool = host.Services.GetRequiredService<PredictionEnginePool<ImageRow, SaveLoadTests.LatentRow>>();
        var reloaded = new TaskCompletionSource<ModelReloadedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        pool.ModelReloaded += (_, e) => reloaded.TrySetResult(e);
        await host.StartAsync();

        ReplaceByRename(served, "not a zip"u8.ToArray());
        var reload = await reloaded.Task.WaitAsync(Guard);
        await host.StopAsync();

        Assert.False(reload.Swapped);
        AssertClose(CoreLatent(TestModels.FashionAe, row.ImagePath), pool.Predict(row).Latent);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("the current pipeline keeps serving", StringComparison.Ordinal));
    }

    [Fact]
    public void Pool_works_from_a_plain_service_collection_without_a_host()
    {
        var row = TestData.SampleRows()[0];
        var zip = SavePipeline(TestModels.FashionAe, "ae.zip");
        var services = new ServiceCollection().AddLogging();
        services.AddPredictionEnginePool<ImageRow, SaveLoadTests.LatentRow>().FromFile(zip);
        using var provider = services.BuildServiceProvider();

        var pool = provider.GetRequiredService<PredictionEnginePool<ImageRow, SaveLoadTests.LatentRow>>();
        AssertClose(CoreLatent(TestModels.FashionAe, row.ImagePath), pool.Predict(row).Latent);
        Assert.Same(pool.GetModel(), pool.GetModel(string.Empty));
    }
}
