using System.ComponentModel;
using System.Linq.Expressions;
using AeOnnx.ML.Internal;
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
        var registration = LoadTimeRegistry.Lookup(GetType());
        var operation = Operation.Create(registration.Spec, registration.ModelDirectory, registration.Device);
        var spec = operation.Spec;
        var srcFields = typeof(TSrc).GetFields();
        var dstField = typeof(TDst).GetFields()[0];
        var set = MakeSetter(dstField);
        if (spec.Kind == OperationKind.LoadImages)
        {
            var getPath = MakeGetter<string>(srcFields[0]);
            return (src, dst) =>
            {
                var result = new float[spec.OutputSize];
                operation.Compute([getPath(src) ?? ""], default, default, 1, result);
                set(dst, result);
            };
        }

        var getFirst = MakeGetter<float[]>(srcFields[0]);
        var getSecond = spec.InputColumns.Length < 2 ? null
            : srcFields.Length > 1 ? MakeGetter<float[]>(srcFields[1])
            : getFirst;
        return (src, dst) =>
        {
            var result = new float[Math.Max(1, spec.OutputSize)];
            var first = getFirst(src) ?? [];
            var second = getSecond?.Invoke(src) ?? [];
            CheckLength(first, spec, 0);
            if (getSecond is not null)
            {
                CheckLength(second, spec, 1);
            }

            operation.Compute(null, first, second, 1, result);
            set(dst, result);
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

    private static Action<TDst, float[]> MakeSetter(System.Reflection.FieldInfo field)
    {
        var p = Expression.Parameter(typeof(TDst));
        var v = Expression.Parameter(typeof(float[]));
        Expression value = field.FieldType == typeof(float) ? Expression.ArrayIndex(v, Expression.Constant(0)) : v;
        return Expression.Lambda<Action<TDst, float[]>>(Expression.Assign(Expression.Field(p, field), value), p, v).Compile();
    }
}
