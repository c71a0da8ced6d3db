using System.Text.Json;
using System.Text.Json.Nodes;
using AeOnnx.Server.Tests.Support;

namespace AeOnnx.Server.Tests;

/// <summary>/v1/model carries the export's quality verdict from the manifest.</summary>
public sealed class ModelInfoWarningTests
{
    [Fact]
    public async Task Model_info_lists_the_manifests_warnings_and_the_shipped_model_has_none()
    {
        var folder = Path.Combine(Path.GetTempPath(), "aeonnx-server-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            foreach (var file in Directory.GetFiles(Repo.Model("fashion-mnist-ae")))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }

            var path = Path.Combine(folder, "manifest.json");
            var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            manifest["metrics"]!["warnings"] = new JsonArray("test MSE 0.02 is not below the mean image's 0.01");
            File.WriteAllText(path, manifest.ToJsonString());

            await using (var warned = await TestServer.StartAsync(folder))
            {
                var info = await TestServer.ReadJsonAsync(await warned.Client.GetAsync("v1/model"));
                Assert.Equal(["test MSE 0.02 is not below the mean image's 0.01"], info.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));
                Assert.Equal(1, info.GetProperty("metrics").GetProperty("warnings").GetArrayLength());
            }

            await using var shipped = await TestServer.StartAsync(Repo.Model("fashion-mnist-ae"));
            var good = await TestServer.ReadJsonAsync(await shipped.Client.GetAsync("v1/model"));
            Assert.Equal(0, good.GetProperty("warnings").GetArrayLength());
            Assert.InRange(good.GetProperty("metrics").GetProperty("pca_ratio").GetDouble(), 0.1, 0.99);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
