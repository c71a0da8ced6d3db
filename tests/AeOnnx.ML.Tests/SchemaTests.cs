using AeOnnx.ML.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AeOnnx.ML.Tests;

/// <summary>Wrong column name, type or vector size fails at Fit / GetOutputSchema with a message naming the column, expected and found.</summary>
public sealed class SchemaTests
{
    private readonly MLContext _ml = new(seed: 1);

    private IDataView Vectors(int size) => _ml.Data.LoadFromEnumerable(
        new[] { new VectorRow { Pixels = new float[size] } },
        SchemaDefinition.Create(typeof(VectorRow)).Also(d => d[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size)));

    [Fact]
    public void Encode_missing_column_names_it_and_the_expected_type()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _ml.Transforms.Autoencoder().Encode("Latent", "NoSuchColumn", TestData.FashionModel).Fit(Vectors(784)));

        Assert.Contains("'NoSuchColumn'", e.Message, StringComparison.Ordinal);
        Assert.Contains("not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("Vector<Single, 784>", e.Message, StringComparison.Ordinal);
        Assert.Contains("'Pixels'", e.Message, StringComparison.Ordinal); // what is there instead
    }

    [Fact]
    public void Encode_wrong_vector_size_names_expected_and_found()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _ml.Transforms.Autoencoder().Encode("Latent", "Pixels", TestData.FashionModel).Fit(Vectors(3072)));

        Assert.Contains("'Pixels'", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected Vector<Single, 784>", e.Message, StringComparison.Ordinal);
        Assert.Contains("1×28×28", e.Message, StringComparison.Ordinal);
        Assert.Contains("found Vector<Single, 3072>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_given_pixels_instead_of_latent_names_the_latent_size()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _ml.Transforms.Autoencoder().Decode("Decoded", "Pixels", TestData.FashionModel).Fit(Vectors(784)));

        Assert.Contains("expected Vector<Single, 16>", e.Message, StringComparison.Ordinal);
        Assert.Contains("found Vector<Single, 784>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_images_given_a_number_column_names_the_text_expectation()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { new NumberRow { ImagePath = 1 } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel).Fit(data));

        Assert.Contains("'ImagePath'", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected String (text) column", e.Message, StringComparison.Ordinal);
        Assert.Contains("found Single", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Estimator_shape_missing_or_scalar_column_fails_before_any_data()
    {
        var pipeline = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel)
            .Append(_ml.Transforms.Autoencoder().Encode("Latent", "Pixelz", TestData.FashionModel));
        // The shape of an ImageRow view, built through public API only.
        var shape = _ml.Transforms.CustomMapping<EmptyRow, ImageRow>(static (_, _) => { }, null).GetOutputSchema(new SchemaShape([]));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => pipeline.GetOutputSchema(shape));
        Assert.Contains("'Pixelz'", e.Message, StringComparison.Ordinal);

        var ok = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel)
            .Append(_ml.Transforms.Autoencoder().Encode("Latent", "Pixels", TestData.FashionModel))
            .GetOutputSchema(shape);
        var latent = ok.Single(c => c.Name == "Latent");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, latent.Kind);
        Assert.Equal(NumberDataViewType.Single, latent.ItemType);
    }

    [Fact]
    public void Transformer_applied_to_other_data_checks_again()
    {
        var transformer = _ml.Transforms.Autoencoder().Encode("Latent", "Pixels", TestData.FashionModel).Fit(Vectors(784));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => transformer.Transform(Vectors(100)));
        Assert.Contains("found Vector<Single, 100>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interpolate_mismatched_latent_sizes_fails()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { new PairRow() });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _ml.Transforms.Autoencoder().InterpolateLatents("Mid", "A", "B").Fit(data));

        Assert.Contains("'B'", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected Vector<Single, 4>", e.Message, StringComparison.Ordinal);
        Assert.Contains("found Vector<Single, 3>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interpolate_first_column_missing_says_a_known_size_latent_is_expected()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { new PairRow() });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            _ml.Transforms.Autoencoder().InterpolateLatents("Mid", "Nope", "B").Fit(data));

        Assert.Contains("'Nope' was not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected Vector<Single, D> of known size D", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_reject_missing_model_directory()
    {
        Assert.Throws<ArgumentException>(() => _ml.Transforms.Autoencoder().Encode(new AutoencoderEncodingOptions()));
        Assert.Throws<ModelLoadException>(() => _ml.Transforms.Autoencoder().Encode("Latent", "Pixels", Path.Combine(TestData.RepoRoot, "no-such-model")));
    }

    public sealed class VectorRow
    {
        public float[] Pixels { get; set; } = [];
    }

    public sealed class EmptyRow
    {
    }

    public sealed class NumberRow
    {
        public float ImagePath { get; set; }
    }

    public sealed class PairRow
    {
        [VectorType(4)]
        public float[] A { get; set; } = new float[4];

        [VectorType(3)]
        public float[] B { get; set; } = new float[3];
    }
}

internal static class SchemaDefinitionExtensions
{
    public static SchemaDefinition Also(this SchemaDefinition definition, Action<SchemaDefinition> change)
    {
        change(definition);
        return definition;
    }
}
