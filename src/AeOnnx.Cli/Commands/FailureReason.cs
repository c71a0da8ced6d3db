using AeOnnx.Imaging;

namespace AeOnnx.Cli.Commands;

/// <summary>The reason column of the index for an input that was skipped: "corrupt: ...", "not found: ...".</summary>
internal static class FailureReason
{
    public static string Of(Inputs.ScreenedResult outcome) =>
        outcome.ScreenReason ?? (outcome.Result?.Failure is { } failure ? Of(failure) : "no result");

    public static string Of(Exception failure)
    {
        string message = failure.Message;
        if (failure is ImageLoadException load)
        {
            string prefix = $"Cannot load image {load.Path}: ";
            if (message.StartsWith(prefix, StringComparison.Ordinal))
            {
                message = message[prefix.Length..];
            }
        }

        return message.ReplaceLineEndings(" ").Trim();
    }
}
