using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Internal;

/// <summary>
/// Builds <see cref="SchemaShape"/> results through ML.NET's public API only
/// (<see cref="SchemaShape.Column"/> has no public constructor): a template column comes from a
/// <c>CustomMapping</c> estimator's shape, and <c>CopyColumns</c> gives it the wanted name.
/// </summary>
internal static class SchemaShapes
{
    private const string TemplateName = "__AeOnnx.ML.Template";
    private static readonly MLContext Context = new(seed: 0);
    private static readonly SchemaShape.Column VectorTemplate = Template<VectorRow>();
    private static readonly SchemaShape.Column ScalarTemplate = Template<ScalarRow>();
    private static readonly SchemaShape.Column TextTemplate = Template<TextRow>();

    public static SchemaShape AddColumn(SchemaShape input, string name, bool vector) => Add(input, name, vector ? VectorTemplate : ScalarTemplate);

    public static SchemaShape AddTextColumn(SchemaShape input, string name) => Add(input, name, TextTemplate);

    private static SchemaShape Add(SchemaShape input, string name, SchemaShape.Column template)
    {
        var withTemplate = new SchemaShape(input.Where(c => c.Name != TemplateName).Append(template));
        var copied = Context.Transforms.CopyColumns(name, TemplateName).GetOutputSchema(withTemplate);
        return new SchemaShape(copied.Where(c => c.Name != TemplateName));
    }

    private static SchemaShape.Column Template<TRow>()
        where TRow : class, new()
    {
        var shape = Context.Transforms.CustomMapping<EmptyRow, TRow>(static (_, _) => { }, null)
            .GetOutputSchema(new SchemaShape([]));
        return shape.Single(c => c.Name == TemplateName);
    }

    internal sealed class EmptyRow
    {
    }

    internal sealed class VectorRow
    {
        [ColumnName(TemplateName)]
        [VectorType(1)]
        public float[] Values { get; set; } = [];
    }

    internal sealed class TextRow
    {
        [ColumnName(TemplateName)]
        public string Value { get; set; } = "";
    }

    internal sealed class ScalarRow
    {
        [ColumnName(TemplateName)]
        public float Value { get; set; }
    }
}
