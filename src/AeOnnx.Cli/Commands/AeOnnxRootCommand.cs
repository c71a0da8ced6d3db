using System.CommandLine;
using System.CommandLine.Help;

namespace AeOnnx.Cli.Commands;

/// <summary>The <c>aeonnx</c> command tree: one <see cref="VerbCommand"/> per verb, help with examples.</summary>
internal static class AeOnnxRootCommand
{
    public static Command Create(CliConsole console)
    {
        // A plain Command named "aeonnx" (a RootCommand takes the assembly's name, AeOnnx.Cli, for usage lines).
        var root = new Command("aeonnx",
            "aeonnx: run PyTorch-trained image autoencoders (an encoder/decoder ONNX pair + manifest) over images:\n" +
            "encode to latents, decode, reconstruct, interpolate, sample, latent arithmetic and outlier search.");
        VerbCommand[] verbs =
        [
            new InfoCommand(console),
            new EncodeCommand(console),
            new DecodeCommand(console),
            new ReconstructCommand(console),
            new InterpolateCommand(console),
            new SampleCommand(console),
            new ArithmeticCommand(console),
            new OutliersCommand(console),
            new MergeCommand(console),
            new ServeCommand(console),
        ];
        foreach (var verb in verbs)
        {
            root.Subcommands.Add(verb);
        }

        var help = new HelpOption();
        root.Options.Add(help);
        root.Options.Add(new VersionOption());
        help.Action = new HelpWithExamplesAction((HelpAction)help.Action!, RootEpilog);
        return root;
    }

    private const string RootEpilog =
        "Model:\n" +
        "  --model DIR, else $AEONNX_MODEL, else the shipped models/fashion-mnist-ae (searched upwards\n" +
        "  from the program and the current folder).\n\n" +
        "Examples:\n" +
        "  aeonnx info\n" +
        "  aeonnx encode samples/images --output latents.npy\n" +
        "  aeonnx reconstruct samples/images --output recon/ --comparison recon.png\n" +
        "  aeonnx interpolate a.png b.png --steps 8 --output path.png --gif path.gif\n\n" +
        ExitCodes.HelpText;
}
