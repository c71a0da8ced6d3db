using AeOnnx.Imaging;

namespace AeOnnx.Cli.Jobs;

/// <summary>The reason column of the index for an input that was skipped: "corrupt: ...", "not found: ...".</summary>
internal static class FailureReason
{
    public static string Of(Inputs.ScreenedResult outcome) =>
        outcome.Result?.Failure is { } failure ? Of(failure) : "no result";

    public static string Of(Exception failure)
    {
        var message = failure.Message;
        if (failure is ImageLoadException load)
        {
            var prefix = $"Cannot load image {load.Path}: ";
            if (message.StartsWith(prefix, StringComparison.Ordinal))
            {
                message = message[prefix.Length..];
            }
        }

        return message.ReplaceLineEndings(" ").Trim();
    }

    /// <summary>The reason to skip a latent given as input (file or command line) that is not finite, or null.</summary>
    public static string? NonFiniteLatent(float[] latent)
    {
        var at = Array.FindIndex(latent, v => !float.IsFinite(v));
        return at < 0
            ? null
            : $"the latent has a non-finite value ({latent[at].ToString(System.Globalization.CultureInfo.InvariantCulture)} at z{at}; float64 values beyond float32 become infinity); nothing was decoded";
    }

    /// <summary>The reason to skip an input whose model output is not finite (NaN weights, overflow), or null.</summary>
    public static string? NonFinite(string what, params float[]?[] outputs)
    {
        foreach (var values in outputs)
        {
            if (values is not null && values.Any(v => !float.IsFinite(v)))
            {
                return $"the model produced non-finite values (NaN or infinity) in the {what}; nothing was written for it";
            }
        }

        return null;
    }
}
