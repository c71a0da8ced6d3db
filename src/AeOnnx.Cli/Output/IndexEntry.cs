namespace AeOnnx.Cli.Output;

/// <summary>
/// One line of an index CSV: an input, whether it was done, why not, and (reconstruct, outliers) its error.
/// <see cref="Row"/> is the row in the .npy (or the output image number) for done inputs, null for skipped ones;
/// <see cref="File"/> the output file written for the input (reconstruct), null when none was.
/// </summary>
internal sealed record IndexEntry(long? Row, string Path, string Status, string Reason, double? Mse = null, double? Psnr = null, string? File = null)
{
    public const string Ok = "ok";
    public const string Skipped = "skipped";

    public bool IsOk => Status == Ok;
}
