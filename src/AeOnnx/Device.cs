using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AeOnnx;

/// <summary>
/// Where inference runs: <see cref="Auto"/>, <see cref="Cpu"/> or <see cref="Cuda(int)"/>.
/// Parses from and formats to <c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>.
/// </summary>
public readonly record struct Device
{
    private Device(DeviceKind kind, int deviceId)
    {
        Kind = kind;
        DeviceId = deviceId;
    }

    /// <summary>The execution provider asked for.</summary>
    public DeviceKind Kind { get; }

    /// <summary>GPU ordinal for <see cref="DeviceKind.Cuda"/>; 0 otherwise.</summary>
    public int DeviceId { get; }

    /// <summary>CUDA on GPU 0 when available, otherwise CPU (the default).</summary>
    public static Device Auto => new(DeviceKind.Auto, 0);

    /// <summary>The CPU execution provider.</summary>
    public static Device Cpu => new(DeviceKind.Cpu, 0);

    /// <summary>The CUDA execution provider on the given GPU.</summary>
    /// <param name="deviceId">GPU ordinal, 0 or more.</param>
    /// <returns>The device value.</returns>
    public static Device Cuda(int deviceId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        return new Device(DeviceKind.Cuda, deviceId);
    }

    /// <summary>Parses <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (case-insensitive).</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The device value.</returns>
    /// <exception cref="FormatException">The text is none of the accepted forms.</exception>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var device)
            ? device
            : throw new FormatException($"Unknown device '{text}': expected auto, cpu, cuda or cuda:N.");
    }

    /// <summary>Tries to parse <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (case-insensitive).</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="device">The device value when parsing succeeds.</param>
    /// <returns>True when the text is an accepted form.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out Device device)
    {
        device = Auto;
        if (text is null)
        {
            return false;
        }

        var s = text.Trim();
        if (s.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            device = Auto;
            return true;
        }

        if (s.Equals("cpu", StringComparison.OrdinalIgnoreCase))
        {
            device = Cpu;
            return true;
        }

        if (s.Equals("cuda", StringComparison.OrdinalIgnoreCase) || s.Equals("gpu", StringComparison.OrdinalIgnoreCase))
        {
            device = Cuda(0);
            return true;
        }

        var colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0
            && (s[..colon].Equals("cuda", StringComparison.OrdinalIgnoreCase) || s[..colon].Equals("gpu", StringComparison.OrdinalIgnoreCase))
            && int.TryParse(s[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            device = Cuda(id);
            return true;
        }

        return false;
    }

    /// <summary>Formats as <c>auto</c>, <c>cpu</c> or <c>cuda:N</c>, the form <see cref="Parse"/> reads.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => string.Create(CultureInfo.InvariantCulture, $"cuda:{DeviceId}"),
        _ => "auto",
    };
}
