using AeOnnx.Tests.Support;
using Xunit.Abstractions;

namespace AeOnnx.Tests;

public sealed class DeviceTests(ITestOutputHelper output)
{
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

    [Fact]
    public void Auto_falls_back_to_cpu_and_says_why()
    {
        // The test project links the CPU-only ONNX Runtime, so CUDA cannot start here.
        var log = new ListLogger();
        using var model = Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), new AutoencoderOptions { Device = Device.Auto, Logger = log });
        Assert.Equal(Device.Cpu, model.Device);
        Assert.Equal("CPUExecutionProvider", model.ExecutionProvider);
        Assert.Contains(log.Messages, line => line.Contains("CUDA not available", StringComparison.Ordinal));
        Assert.Contains(log.Messages, line => line.Contains("CPUExecutionProvider", StringComparison.Ordinal));
    }

    [Fact]
    public void Explicit_cuda_fails_with_onnx_runtime_reason()
    {
        var error = Assert.Throws<DeviceUnavailableException>(
            () => Autoencoder.Load(TestModels.Folder(TestModels.FashionAe), new AutoencoderOptions { Device = Device.Cuda(0) }));
        output.WriteLine(error.Message);
        Assert.Equal(Device.Cuda(0), error.Device);
        Assert.Contains("cuda:0", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
        Assert.Contains(error.Reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("CUDA", error.Reason, StringComparison.OrdinalIgnoreCase);
    }
}
