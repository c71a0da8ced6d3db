using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace AeOnnx.ML.Internal;

/// <summary>Column validation with messages that name the column, the expected and the found type.</summary>
internal static class ColumnChecks
{
    /// <summary>Size 0: a text column; -1: a float vector of any known size; else that size.</summary>
    public static string Describe(int size, string? why) =>
        (size switch { 0 => "String (text) column", < 0 => "Vector<Single, D> of known size D", _ => $"Vector<Single, {size}>" })
        + (why is null ? "" : $" ({why})");

    /// <summary>What an image-reading mapping finds in its input column: an MLImage, a path, or (for model kinds that take pixels) a vector.</summary>
    public static MappingInput Classify(DataViewType type) =>
        type is ImageDataViewType ? MappingInput.Image : type is TextDataViewType ? MappingInput.Path : MappingInput.Vector;

    /// <summary>Checks an MLImage column; returns its index.</summary>
    public static int CheckImage(DataViewSchema schema, string column, string stage)
    {
        var col = Find(schema, column, "Image (ML.NET MLImage)", stage);
        if (col.Type is not ImageDataViewType)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"{stage}: input column '{column}' has the wrong type: expected Image (ML.NET MLImage), found {col.Type}.");
        }

        return col.Index;
    }

    /// <summary>Checks a full schema; returns the column index.</summary>
    public static int Check(DataViewSchema schema, string column, int size, string? why, string stage)
    {
        var col = Find(schema, column, Describe(size, why), stage);
        var ok = size == 0
            ? col.Type is TextDataViewType
            : col.Type is VectorDataViewType v && v.ItemType == NumberDataViewType.Single && (size < 0 ? v.Size > 0 : v.Size == size);
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"{stage}: input column '{column}' has the wrong type: expected {Describe(size, why)}, found {col.Type}.");
        }

        return col.Index;
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string column, string expected, string stage) =>
        schema.GetColumnOrNull(column)
        ?? throw new ArgumentOutOfRangeException(nameof(schema),
            $"{stage}: input column '{column}' was not found; expected {expected}. Columns present: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"))}.");

    private static string Describe(SchemaShape.Column col) => col.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => $"{col.ItemType}",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{col.ItemType}> of known size",
        _ => $"Vector<{col.ItemType}> of variable size",
    };

    /// <summary>Checks a schema shape (kinds only: a shape carries no vector sizes). <paramref name="imagesToo"/>: an MLImage column is accepted as well.</summary>
    public static void Check(SchemaShape shape, string column, int size, string? why, string stage, bool imagesToo = false)
    {
        var found = shape.Where(c => c.Name == column).ToArray();
        if (found.Length == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shape),
                $"{stage}: input column '{column}' was not found; expected {Describe(size, why)}{(imagesToo ? " or an Image (ML.NET MLImage) column" : "")}.");
        }

        var col = found[^1];
        var isImage = col.Kind == SchemaShape.Column.VectorKind.Scalar && col.ItemType is ImageDataViewType;
        var ok = (imagesToo && isImage) || (size == 0
            ? col.Kind == SchemaShape.Column.VectorKind.Scalar && col.ItemType is TextDataViewType
            : col.Kind == SchemaShape.Column.VectorKind.Vector && col.ItemType == NumberDataViewType.Single);
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(nameof(shape),
                $"{stage}: input column '{column}' has the wrong type: expected {Describe(size, why)}{(imagesToo ? " or an Image (ML.NET MLImage) column" : "")}, found {Describe(col)}.");
        }
    }
}
