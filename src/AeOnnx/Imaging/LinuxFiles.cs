using System.Runtime.InteropServices;

namespace AeOnnx.Imaging;

/// <summary>The one libc call the Linux read path needs that .NET does not offer: open(2) with O_NONBLOCK.</summary>
internal static partial class LinuxFiles
{
    // Linux values, the same on x86-64 and arm64 (asm-generic/fcntl.h, asm-generic/errno-base.h).
    public const int ORdOnly = 0;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;
    public const int ENoEnt = 2;
    public const int EAcces = 13;
    public const int ENotDir = 20;
    public const int ELoop = 40;
    public const int ENameTooLong = 36;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    public static string Describe(int errno, string path) => errno switch
    {
        EAcces => $"Access to the path '{path}' is denied.",
        ELoop => "too many levels of symbolic links.",
        ENameTooLong => "the path is too long.",
        _ => $"open failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).",
    };
}
