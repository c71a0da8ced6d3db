using System.ComponentModel;
using System.Linq.Expressions;
using AeOnnx.ML.Internal;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace AeOnnx.ML;

/// <summary>
/// Infrastructure: the base of the <c>CustomMappingFactory</c> classes that
/// <see cref="AeOnnxCatalog.RegisterAeOnnx(Microsoft.ML.Runtime.ComponentCatalog, string, AeOnnxLoadOptions?)"/>
/// generates at load time, one per AeOnnx mapping found in a saved model. Not meant to be used
/// directly; it is public only because the generated classes derive from it.
/// </summary>
/// <typeparam name="TSrc">Generated input row type (column names and sizes of the saved mapping).</typeparam>
/// <typeparam name="TDst">Generated output row type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class AeOnnxMappingFactory<TSrc, TDst> : CustomMappingFactory<TSrc, TDst>
    where TSrc : class, new()
    where TDst : class, new()
{
    /// <summary>Builds the per-row mapping of the saved spec registered for this generated class.</summary>
    /// <returns>The mapping action; thread-safe.</returns>
    public override Action<TSrc, TDst> GetMapping()
    {
        var operation = LoadTimeRegistry.Lookup(GetType()).Operation;
        var spec = operation.Spec;
        var srcFields = typeof(TSrc).GetFields();
        var dstFields = typeof(TDst).GetFields();
        var set = MakeSetter(dstFields[0]);
        var setError = dstFields.Length > 1 ? MakeStringSetter(dstFields[1]) : null;
        var getFirst = spec.Input == MappingInput.Vector ? MakeGetter<float[]>(srcFields[0]) : null;
        var getSecond = spec.InputColumns.Length < 2 ? null
            : srcFields.Length > 1 ? MakeGetter<float[]>(srcFields[1])
            : getFirst;
        var getPath = spec.Input == MappingInput.Path ? MakeGetter<string>(srcFields[0]) : null;
        var getImage = spec.Input == MappingInput.Image ? MakeGetter<MLImage>(srcFields[0]) : null;
        return (src, dst) =>
        {
            var batch = new BatchInput(spec, 1);
            var errors = spec.BadImages == AutoencoderBadImageHandling.Throw ? null : new string?[1];
            var result = new float[Math.Max(1, spec.OutputSize)];
            if (getPath is not null)
            {
                batch.Paths[0] = getPath(src) ?? "";
            }
            else if (getImage is not null)
            {
                // The row object owns the image; the operation only reads it.
                batch.Images[0] = getImage(src);
            }
            else
            {
                var first = getFirst!(src) ?? [];
                CheckLength(first, spec, 0);
                first.CopyTo(batch.First, 0);
                if (getSecond is not null)
                {
                    var second = getSecond(src) ?? [];
                    CheckLength(second, spec, 1);
                    second.CopyTo(batch.Second, 0);
                }
            }

            operation.Compute(batch, 1, result, errors);
            set(dst, result);
            setError?.Invoke(dst, errors?[0] ?? "");
        };
    }

    private static void CheckLength(float[] values, MappingSpec spec, int input)
    {
        if (values.Length != spec.InputSize)
        {
            throw new InvalidOperationException(
                $"Column '{spec.InputColumns[input]}': expected a vector of {spec.InputSize} floats, found {values.Length}.");
        }
    }

    private static Func<TSrc, T> MakeGetter<T>(System.Reflection.FieldInfo field)
    {
        var p = Expression.Parameter(typeof(TSrc));
        return Expression.Lambda<Func<TSrc, T>>(Expression.Field(p, field), p).Compile();
    }

    private static Action<TDst, string> MakeStringSetter(System.Reflection.FieldInfo field)
    {
        var p = Expression.Parameter(typeof(TDst));
        var v = Expression.Parameter(typeof(string));
        return Expression.Lambda<Action<TDst, string>>(Expression.Assign(Expression.Field(p, field), v), p, v).Compile();
    }

    private static Action<TDst, float[]> MakeSetter(System.Reflection.FieldInfo field)
    {
        var p = Expression.Parameter(typeof(TDst));
        var v = Expression.Parameter(typeof(float[]));
        Expression value = field.FieldType == typeof(float) ? Expression.ArrayIndex(v, Expression.Constant(0)) : v;
        return Expression.Lambda<Action<TDst, float[]>>(Expression.Assign(Expression.Field(p, field), value), p, v).Compile();
    }
}
