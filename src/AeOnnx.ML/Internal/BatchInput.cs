using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>One batch of mapping inputs, one slot per row: paths, ML.NET images, or row-major vectors.</summary>
internal sealed class BatchInput
{
    public BatchInput(MappingSpec spec, int capacity)
    {
        Paths = spec.Input == MappingInput.Path ? new string[capacity] : [];
        Images = spec.Input == MappingInput.Image ? new MLImage?[capacity] : [];
        First = spec.InputSize > 0 ? new float[capacity * spec.InputSize] : [];
        Second = spec.InputColumns.Length > 1 ? new float[capacity * spec.InputSize] : [];
    }

    public string[] Paths { get; }

    public MLImage?[] Images { get; }

    public float[] First { get; }

    public float[] Second { get; }
}
