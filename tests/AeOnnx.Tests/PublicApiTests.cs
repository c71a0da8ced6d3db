using AeOnnx.Tests.Support;

namespace AeOnnx.Tests;

/// <summary>
/// The public API is the library's own: no type of its parts (ImageSharp writes pictures, ONNX Runtime runs
/// graphs, Skia decodes) appears in a public signature, and no public static can be changed.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_core_exposes_no_imagesharp_onnx_runtime_or_skia_type_and_no_settable_static()
    {
        var leaks = ApiLeaks.Find(typeof(Autoencoder).Assembly).ToArray();
        Assert.True(leaks.Length == 0, "leaks: " + string.Join(", ", leaks));
    }
}
