namespace AeOnnx.Models;

/// <summary>
/// The manifest's <c>input</c> rules in one place: a manifest's (or a bare pair's <c>aeonnx.input</c>)
/// object checked into an <see cref="ImageSpec"/>, a hand-built <see cref="ImageSpec"/> checked by the
/// same rules, and the manifest's names of colors and resamplers.
/// </summary>
internal static class ImageSpecReader
{
    /// <summary>
    /// Checks an <see cref="ImageSpec"/> built by hand (an <see cref="Imaging.ImageConverter"/> of one's own)
    /// by exactly the manifest's rules; <see cref="ArgumentException"/> names the first bad value.
    /// </summary>
    public static void CheckImage(ImageSpec image, string paramName)
    {
        ArgumentNullException.ThrowIfNull(image, paramName);
        var input = new ManifestJson.Input
        {
            Channels = image.Channels,
            Height = image.Height,
            Width = image.Width,
            Color = ColorName(image.Color),
            Scale = image.Scale,
            Mean = image.Mean?.ToArray(),
            Std = image.Std?.ToArray(),
            Resize = ResizeName(image.Resize),
            JpegDraft = image.JpegDraft,
        };
        try
        {
            ValidateInput(input, nameof(ImageSpec), "input");
        }
        catch (ModelLoadException e)
        {
            throw new ArgumentException($"{e.Field}: expected {e.Expected}, found {e.Found}.", paramName, e);
        }
    }

    /// <summary>The manifest's name of a color: <c>gray</c> or <c>rgb</c>.</summary>
    public static string ColorName(ImageColor color) => color switch
    {
        ImageColor.Gray => "gray",
        ImageColor.Rgb => "rgb",
        _ => color.ToString(),
    };

    /// <summary>The manifest's name of a resampler: <c>bilinear</c>, <c>bicubic</c> or <c>nearest</c>.</summary>
    public static string ResizeName(ResizeMethod resize) => resize switch
    {
        ResizeMethod.Bilinear => "bilinear",
        ResizeMethod.Bicubic => "bicubic",
        ResizeMethod.Nearest => "nearest",
        _ => resize.ToString(),
    };

    /// <summary>Checks a manifest <c>input</c> object: shape within <see cref="ModelLimits"/>, color, preprocessing.</summary>
    public static ImageSpec ValidateInput(ManifestJson.Input input, string file, string field)
    {
        if (input.Channels is not (1 or 3))
        {
            throw new ModelLoadException(file, $"{field}.channels", "1 or 3", ManifestReader.Num(input.Channels));
        }

        var sides = $"an integer from 1 to {ManifestReader.Num(ModelLimits.MaxImageSide)}";
        if (input.Height <= 0 || input.Height > ModelLimits.MaxImageSide)
        {
            throw new ModelLoadException(file, $"{field}.height", sides, ManifestReader.Num(input.Height));
        }

        if (input.Width <= 0 || input.Width > ModelLimits.MaxImageSide)
        {
            throw new ModelLoadException(file, $"{field}.width", sides, ManifestReader.Num(input.Width));
        }

        // Each side may be fine while the product is not: one image tensor is allocated per item of a batch.
        var values = (long)input.Channels * input.Height * input.Width;
        if (values > ModelLimits.MaxImageValues)
        {
            throw new ModelLoadException(
                file,
                $"{field}.channels x height x width",
                $"at most {ManifestReader.Num(ModelLimits.MaxImageValues)} values per image",
                $"{input.Channels}x{input.Height}x{input.Width} = {ManifestReader.Num(values)}");
        }

        var color = input.Channels == 1 ? "gray" : "rgb";
        if (input.Color != color)
        {
            throw new ModelLoadException(file, $"{field}.color", ManifestReader.Quote(color) + $" for {input.Channels} channel(s)", ManifestReader.Quote(input.Color));
        }

        if (input.Layout is not null && input.Layout != "NCHW")
        {
            throw new ModelLoadException(file, $"{field}.layout", "\"NCHW\"", ManifestReader.Quote(input.Layout));
        }

        if (!(input.Scale > 0) || !float.IsFinite(input.Scale))
        {
            throw new ModelLoadException(file, $"{field}.scale", "a positive number", ManifestReader.Num(input.Scale));
        }

        var mean = input.Mean ?? throw ManifestReader.Missing(file, $"{field}.mean");
        var std = input.Std ?? throw ManifestReader.Missing(file, $"{field}.std");
        ManifestReader.CheckVector(mean, input.Channels, file, $"{field}.mean");
        ManifestReader.CheckVector(std, input.Channels, file, $"{field}.std");
        for (var c = 0; c < input.Channels; c++)
        {
            if (std[c] == 0)
            {
                throw new ModelLoadException(file, $"{field}.std[{c}]", "a non-zero number", "0");
            }
        }

        var resize = input.Resize switch
        {
            "bilinear" => ResizeMethod.Bilinear,
            "bicubic" => ResizeMethod.Bicubic,
            "nearest" => ResizeMethod.Nearest,
            _ => throw new ModelLoadException(file, $"{field}.resize", "\"bilinear\", \"bicubic\" or \"nearest\"", ManifestReader.Quote(input.Resize)),
        };

        if (input.Gray is not null && input.Gray != "bt601")
        {
            throw new ModelLoadException(file, $"{field}.gray", "\"bt601\"", ManifestReader.Quote(input.Gray));
        }

        if (input.Alpha is not null && input.Alpha != "ignore")
        {
            throw new ModelLoadException(file, $"{field}.alpha", "\"ignore\"", ManifestReader.Quote(input.Alpha));
        }

        return new ImageSpec
        {
            Channels = input.Channels,
            Height = input.Height,
            Width = input.Width,
            Color = color == "gray" ? ImageColor.Gray : ImageColor.Rgb,
            Scale = input.Scale,
            Mean = Array.AsReadOnly(mean),
            Std = Array.AsReadOnly(std),
            Resize = resize,
            JpegDraft = input.JpegDraft == true,
        };
    }
}
