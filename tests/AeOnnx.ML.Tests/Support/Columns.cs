using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Tests.Support;

internal static class Columns
{
    public static float[][] Vectors(IDataView data, string column) =>
        data.GetColumn<float[]>(column).ToArray();

    public static float[] Scalars(IDataView data, string column) =>
        data.GetColumn<float>(column).ToArray();

    public static string[] Strings(IDataView data, string column) =>
        data.GetColumn<string>(column).ToArray();

    public static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(worst <= tolerance, $"{what}: max |difference| {worst} > {tolerance}");
    }
}
