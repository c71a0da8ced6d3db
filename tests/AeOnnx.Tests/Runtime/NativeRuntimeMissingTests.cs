using System.Reflection;
using System.Runtime.Loader;
using AeOnnx.Tests.Support;
using Xunit.Abstractions;

namespace AeOnnx.Tests.Runtime;

/// <summary>
/// A new application that references AeOnnx (managed ONNX Runtime only) and no native flavor. The
/// test loads AeOnnx and ONNX Runtime's managed assembly into their own load context, whose native
/// library resolution refuses <c>onnxruntime</c> as a machine without the native package would.
/// </summary>
public sealed class NativeRuntimeMissingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("auto")]
    [InlineData("cpu")]
    [InlineData("cuda")]
    public void Load_says_which_package_to_add_instead_of_a_type_initializer_failure(string device)
    {
        // Before: TypeInitializationException (inner DllNotFoundException: onnxruntime) out of Autoencoder.Load.
        var context = new NoNativeOnnxRuntimeContext();
        try
        {
            var aeonnx = context.LoadFromAssemblyPath(typeof(Autoencoder).Assembly.Location);
            var options = Activator.CreateInstance(aeonnx.GetType("AeOnnx.AutoencoderOptions", throwOnError: true)!)!;
            var deviceType = aeonnx.GetType("AeOnnx.Device", throwOnError: true)!;
            var parsed = deviceType.GetMethod("Parse", [typeof(string)])!.Invoke(null, [device]);
            options.GetType().GetProperty("Device")!.SetValue(options, parsed);
            var load = aeonnx.GetType("AeOnnx.Autoencoder", throwOnError: true)!.GetMethod("Load")!;

            var thrown = Assert.Throws<TargetInvocationException>(() => load.Invoke(null, [TestModels.Folder(TestModels.FashionAe), options]));
            var error = thrown.InnerException!;
            output.WriteLine(error.ToString());
            Assert.Equal("AeOnnx.DeviceUnavailableException", error.GetType().FullName);
            Assert.Contains($"device '{parsed}'", error.Message, StringComparison.Ordinal);
            Assert.Contains("the native ONNX Runtime library (onnxruntime) is not part of this application", error.Message, StringComparison.Ordinal);
            Assert.Contains("Microsoft.ML.OnnxRuntime (CPU)", error.Message, StringComparison.Ordinal);
            Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu (CUDA and CPU)", error.Message, StringComparison.Ordinal);
            Assert.True(context.Refused > 0, "the load context was never asked for the native library");
        }
        finally
        {
            context.Unload();
        }
    }

    private sealed class NoNativeOnnxRuntimeContext() : AssemblyLoadContext("no-native-onnxruntime", isCollectible: true)
    {
        private static readonly string[] Isolated = ["AeOnnx", "Microsoft.ML.OnnxRuntime"];

        public int Refused { get; private set; }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            // Only these two are private to the context (fresh static state: ORT's native API not yet
            // bound); everything else comes from the default context.
            if (Isolated.Contains(assemblyName.Name))
            {
                var path = Path.Combine(AppContext.BaseDirectory, assemblyName.Name + ".dll");
                return LoadFromAssemblyPath(path);
            }

            return null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            if (unmanagedDllName.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase))
            {
                Refused++;
                throw new DllNotFoundException($"Unable to load shared library '{unmanagedDllName}' or one of its dependencies (refused by the test's load context).");
            }

            return IntPtr.Zero;
        }
    }
}
