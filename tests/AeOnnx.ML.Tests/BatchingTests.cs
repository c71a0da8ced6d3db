using AeOnnx.ML.Tests.Support;
using Microsoft.ML;

namespace AeOnnx.ML.Tests;

/// <summary>The batched cursor keeps ML.NET's row semantics: order, alignment with other columns, shuffling, partial batches.</summary>
public sealed class BatchingTests
{
    private readonly MLContext _ml = new(seed: 1);

    private IDataView Encode(int batchSize, IDataView data)
    {
        var m = TestData.FashionModel;
        var pipeline = _ml.Transforms.Autoencoder().LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = m, BatchSize = batchSize })
            .Append(_ml.Transforms.Autoencoder().Encode(new AutoencoderEncodingOptions { ModelDirectory = m, BatchSize = batchSize }));
        return pipeline.Fit(data).Transform(data);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(64)]
    public void Batch_sizes_give_the_same_latents_as_one_row_per_call(int batchSize)
    {
        var data = TestData.SampleView(_ml);
        var single = Columns.Vectors(Encode(1, data), "Latent");
        var batched = Columns.Vectors(Encode(batchSize, data), "Latent");

        Assert.Equal(30, batched.Length);
        for (var i = 0; i < single.Length; i++)
        {
            Columns.AssertClose(single[i], batched[i], 1e-5f, $"row {i}");
        }
    }

    [Fact]
    public void Shuffled_cursor_keeps_each_latent_with_its_own_path()
    {
        var data = TestData.SampleView(_ml);
        var output = Encode(8, data);
        var byPath = Columns.Strings(output, "ImagePath").Zip(Columns.Vectors(output, "Latent")).ToDictionary(p => p.First, p => p.Second);

        var shuffled = _ml.Data.ShuffleRows(output, seed: 5);
        var paths = Columns.Strings(shuffled, "ImagePath");
        var latents = Columns.Vectors(shuffled, "Latent");

        Assert.NotEqual(TestData.SamplePaths(), paths); // really shuffled
        for (var i = 0; i < paths.Length; i++)
        {
            Assert.Equal(byPath[paths[i]], latents[i]);
        }
    }

    [Fact]
    public void Cursor_with_random_stays_aligned()
    {
        var data = _ml.Data.Cache(TestData.SampleView(_ml)); // cached views can shuffle
        var output = Encode(4, data);
        var reference = Columns.Strings(output, "ImagePath").Zip(Columns.Vectors(output, "Latent")).ToDictionary(p => p.First, p => p.Second);

        using var cursor = output.GetRowCursor(output.Schema, new Random(3));
        var pathGetter = cursor.GetGetter<ReadOnlyMemory<char>>(output.Schema["ImagePath"]);
        var latentGetter = cursor.GetGetter<Microsoft.ML.Data.VBuffer<float>>(output.Schema["Latent"]);
        var order = new List<string>();
        ReadOnlyMemory<char> path = default;
        Microsoft.ML.Data.VBuffer<float> latent = default;
        while (cursor.MoveNext())
        {
            pathGetter(ref path);
            latentGetter(ref latent);
            order.Add(path.ToString());
            Assert.Equal(reference[path.ToString()], latent.DenseValues().ToArray());
        }

        Assert.Equal(30, order.Count);
        Assert.NotEqual(TestData.SamplePaths(), order);
    }

    [Fact]
    public void Pass_through_only_cursor_does_not_run_the_model()
    {
        // A path that does not exist: reading only Label must not touch it.
        var data = _ml.Data.LoadFromEnumerable(new[] { new ImageRow { ImagePath = "/no/such/file.png", Label = "x" } });
        var output = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel).Fit(data).Transform(data);

        Assert.Equal(["x"], Columns.Strings(output, "Label"));
        var e = Assert.ThrowsAny<Exception>(() => Columns.Vectors(output, "Pixels"));
        Assert.Contains("/no/such/file.png", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_file_in_a_batch_throws_the_core_image_error_naming_it()
    {
        var rows = TestData.SampleRows().Take(5).Append(new ImageRow { ImagePath = "/no/such/other.png", Label = "x" }).ToArray();
        var data = _ml.Data.LoadFromEnumerable(rows);
        var output = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", TestData.FashionModel).Fit(data).Transform(data);

        var e = Assert.Throws<AeOnnx.Imaging.ImageLoadException>(() => Columns.Vectors(output, "Pixels"));
        Assert.Contains("/no/such/other.png", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_cursor_over_inputs_and_outputs_serves_every_column_of_the_same_row()
    {
        // Reading a mapping's input column together with its output: the input is served from the
        // look-ahead buffer (so an upstream model runs once); both must still belong to the same row.
        var m = TestData.FashionModel;
        var data = TestData.SampleView(_ml);
        var output = _ml.Transforms.Autoencoder().LoadImages(new AutoencoderImageLoadingOptions { ModelDirectory = m, BatchSize = 4 })
            .Append(_ml.Transforms.Autoencoder().Encode(new AutoencoderEncodingOptions { ModelDirectory = m, BatchSize = 4 }))
            .Append(_ml.Transforms.Autoencoder().Decode(new AutoencoderDecodingOptions { ModelDirectory = m, BatchSize = 7 }))
            .Append(_ml.Transforms.Autoencoder().InterpolateLatents("Same", "Latent", "Latent", 0.25f))
            .Fit(data).Transform(data);
        using var core = Autoencoder.Load(m, new AutoencoderOptions { Device = Device.Cpu });

        var rows = _ml.Data.CreateEnumerable<AllColumns>(output, reuseRowObject: false).ToArray();

        Assert.Equal(30, rows.Length);
        foreach (var row in rows)
        {
            Assert.Equal(core.Images.LoadTensor(row.ImagePath), row.Pixels);
            Columns.AssertClose(core.Encode(row.ImagePath), row.Latent, 1e-5f, row.ImagePath);
            Columns.AssertClose(core.Decode(row.Latent), row.Decoded, 1e-5f, row.ImagePath);
            Columns.AssertClose(row.Latent, row.Same, 1e-5f, row.ImagePath);
        }
    }

    [Fact]
    public void Prediction_engine_on_the_fitted_transformer_matches_the_batched_view()
    {
        var data = TestData.SampleView(_ml);
        var m = TestData.FashionModel;
        var model = _ml.Transforms.Autoencoder().LoadImages("Pixels", "ImagePath", m).Append(_ml.Transforms.Autoencoder().Encode("Latent", "Pixels", m)).Fit(data);
        var batched = Columns.Vectors(model.Transform(data), "Latent");
        var engine = _ml.Model.CreatePredictionEngine<ImageRow, SaveLoadTests.LatentRow>(model);

        var rows = TestData.SampleRows();
        for (var i = 0; i < rows.Length; i += 5)
        {
            Columns.AssertClose(batched[i], engine.Predict(rows[i]).Latent, 1e-5f, $"row {i}");
        }
    }

    public sealed class AllColumns
    {
        public string ImagePath { get; set; } = "";

        public float[] Pixels { get; set; } = [];

        public float[] Latent { get; set; } = [];

        public float[] Decoded { get; set; } = [];

        public float[] Same { get; set; } = [];
    }
}
