using AeOnnx.Tests.Support;
using Xunit.Abstractions;

namespace AeOnnx.Tests;

/// <summary>
/// Devices on any machine: parsing everywhere; where CUDA starts (CUDA flavor linked, GPU present)
/// the CUDA tests run for real, elsewhere they are skipped with the reason and the CPU-only
/// behaviour (fallback, clear refusal) is checked instead.
/// </summary>
public sealed class DeviceTests(ITestOutputHelper output)
{
    // Float32 kernels differ between providers (summation order, fused operators); TF32 is off by
    // default in AeOnnx's CUDA options, which keeps the gap to the CPU provider far below this.
    private const double CudaTolerance = 1e-4;

    [Theory]
    [InlineData("auto", DeviceKind.Auto, 0)]
    [InlineData("AUTO", DeviceKind.Auto, 0)]
    [InlineData("cpu", DeviceKind.Cpu, 0)]
    [InlineData("cuda", DeviceKind.Cuda, 0)]
    [InlineData("cuda:0", DeviceKind.Cuda, 0)]
    [InlineData("cuda:1", DeviceKind.Cuda, 1)]
    [InlineData(" Cuda:12 ", DeviceKind.Cuda, 12)]
    public void Parses_the_accepted_forms(string text, DeviceKind kind, int id)
    {
        var device = Device.Parse(text);
        Assert.Equal(kind, device.Kind);
        Assert.Equal(id, device.DeviceId);
        Assert.Equal(device, Device.Parse(device.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("cpu:1")]
    public void Refuses_other_text(string text)
    {
        Assert.False(Device.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => Device.Parse(text));
        Assert.Contains("auto, cpu, cuda or cuda:N", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Formats_for_round_trips()
    {
        Assert.Equal("auto", Device.Auto.ToString());
        Assert.Equal("cpu", Device.Cpu.ToString());
        Assert.Equal("cuda:1", Device.Cuda(1).ToString());
        Assert.Equal(Device.Auto, default);
    }

    [SkippableFact]
    public void Auto_falls_back_to_cpu_and_says_why()
    {
        Skip.If(Cuda.Available, "CUDA starts here, so Auto picks it (Auto_picks_cuda_when_it_starts checks that).");
        var log = new ListLogger();
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), new AutoencoderOptions { Device = Device.Auto, Logger = log });
        Assert.Equal(Device.Cpu, model.Device);
        Assert.Equal("CPUExecutionProvider", model.ExecutionProvider);
        Assert.Contains(log.Events, e => e.Id.Id == 1 && e.Message.Contains("CUDA not available", StringComparison.Ordinal));
        Assert.Contains(log.Messages, line => line.Contains("CPUExecutionProvider", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Explicit_cuda_fails_with_onnx_runtime_reason()
    {
        Skip.If(Cuda.Available, "CUDA starts here, so an explicit cuda:0 succeeds (the parity tests use it).");
        var error = Assert.Throws<DeviceUnavailableException>(
            () => Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), new AutoencoderOptions { Device = Device.Cuda(0) }));
        output.WriteLine(error.Message);
        Assert.Equal(Device.Cuda(0), error.Device);
        Assert.Contains("cuda:0", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
        Assert.Contains(error.Reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("CUDA", error.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public void Auto_picks_cuda_when_it_starts()
    {
        Skip.IfNot(Cuda.Available, Cuda.SkipReason);
        var log = new ListLogger();
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), new AutoencoderOptions { Device = Device.Auto, Logger = log });
        Assert.Equal(Device.Cuda(0), model.Device);
        Assert.Equal("CUDAExecutionProvider", model.ExecutionProvider);
        Assert.DoesNotContain(log.Events, e => e.Id.Id is 1 or 2);
    }

    public static TheoryData<string, int> ParityCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in TestModels.All().Where(n => File.Exists(Path.Combine(TestModels.Folder(n), "fixtures", "fixtures.json"))))
        {
            foreach (var batch in new[] { 1, 64, 1024 })
            {
                data.Add(name, batch);
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(ParityCases))]
    public void Cuda_matches_cpu_on_the_shipped_fixtures(string name, int batch)
    {
        Skip.IfNot(Cuda.Available, Cuda.SkipReason);
        var folder = TestModels.Folder(name);
        using var cpu = Autoencoder.Load(folder, new AutoencoderOptions { Device = Device.Cpu, BatchSize = batch });
        using var cuda = Autoencoder.Load(folder, new AutoencoderOptions { Device = Device.Cuda(0), BatchSize = batch });
        Assert.Equal(Device.Cuda(0), cuda.Device);

        // The fixture images, repeated to fill the batch: one CUDA run of exactly `batch` images.
        var fixtures = TestModels.ReadFixtures(name).Images;
        var images = new float[batch * cpu.PixelCount];
        for (var i = 0; i < batch; i++)
        {
            cpu.Images.LoadTensor(Path.Combine(folder, "fixtures", fixtures[i % fixtures.Count].File), images.AsSpan(i * cpu.PixelCount, cpu.PixelCount));
        }

        var latentsCpu = cpu.EncodeTensor(images);
        var latentsCuda = cuda.EncodeTensor(images);
        var latentGap = MaxGap(latentsCpu, latentsCuda);
        var outputsCpu = cpu.DecodeTensor(latentsCpu);
        var outputsCuda = cuda.DecodeTensor(latentsCpu);
        var outputGap = MaxGap(outputsCpu, outputsCuda);
        output.WriteLine($"{name} batch {batch}: max |cpu - cuda| latent {latentGap:E2}, decoder output {outputGap:E2}");
        Assert.InRange(latentGap, 0, CudaTolerance * Math.Max(1, latentsCpu.Max(Math.Abs)));
        Assert.InRange(outputGap, 0, CudaTolerance);
    }

    [SkippableFact]
    public void Hot_swap_runs_on_the_device()
    {
        Skip.IfNot(Cuda.Available, Cuda.SkipReason);
        var options = new AutoencoderOptions { Device = Device.Cuda(0) };
        using var host = AutoencoderHost.Load(TestModels.Folder(TestModels.FashionAe), options);
        var image = Path.Combine(TestModels.Folder(TestModels.FashionAe), "fixtures", "000.png");
        var before = host.Run(m => m.Encode(image));
        Assert.Equal(Device.Cuda(0), host.Current.Device);

        host.Swap(TestModels.Folder(TestModels.FashionVae));
        Assert.Equal(Device.Cuda(0), host.Current.Device);
        Assert.True(host.Current.IsVariational);
        var after = host.Run(m => m.Encode(image));

        using var cpuVae = Autoencoder.Load(TestModels.Folder(TestModels.FashionVae), TestModels.CpuOptions());
        Assert.InRange(MaxGap(cpuVae.Encode(image), after), 0, CudaTolerance * 10);
        Assert.NotEqual(before, after);
    }

    private static double MaxGap(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            Assert.True(float.IsFinite(b[i]), $"non-finite value at {i}");
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        }

        return max;
    }
}
