using System.Collections.Concurrent;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Emit;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;

namespace AeOnnx.ML.Internal;

/// <summary>
/// Makes saved AeOnnx mappings loadable. ML.NET loads a <c>CustomMapping</c> by looking up a class
/// marked <c>[CustomMappingFactoryAttribute(contractName)]</c> in the registered assemblies; its
/// output schema comes from that class's row type attributes. For each mapping of a saved pipeline
/// this emits, once per process and contract, a small dynamic assembly with input/output row types
/// (<c>[ColumnName]</c>, <c>[VectorType(n)]</c>) and a factory deriving from
/// <see cref="AeOnnxMappingFactory{TSrc, TDst}"/>, and registers the mapping's resolved
/// <see cref="Operation"/> for it.
/// </summary>
internal static partial class LoadTimeRegistry
{
    private static readonly ConcurrentDictionary<string, Type> Factories = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<Type, Registration> Registrations = new();
    private static readonly ConcurrentDictionary<Type, Type> FactoryByInputType = new();
    private static readonly Lock EmitLock = new();

    internal sealed record Registration(Operation Operation);

    public static Registration Lookup(Type factoryType) =>
        Registrations.TryGetValue(factoryType, out var r)
            ? r
            : throw new InvalidOperationException($"No AeOnnx mapping is registered for {factoryType.FullName}.");

    /// <summary>The registration behind a loaded <c>CustomMappingTransformer&lt;TSrc, TDst&gt;</c>, by its generated input row type.</summary>
    public static Registration? TryLookupByInputType(Type inputRowType) =>
        FactoryByInputType.TryGetValue(inputRowType, out var factory) ? Lookup(factory) : null;

    /// <summary>Emits (once per contract) and registers the factory for one mapping.</summary>
    public static void Register(ComponentCatalog catalog, string contract, Operation operation)
    {
        Type factory;
        lock (EmitLock)
        {
            if (!Factories.TryGetValue(contract, out factory!))
            {
                factory = Emit(operation.Spec, contract, Factories.Count);
                Factories[contract] = factory;
            }

            Registrations[factory] = new Registration(operation);
        }

        catalog.RegisterAssembly(factory.Assembly);
    }

    private static Type Emit(MappingSpec spec, string contract, int serial)
    {
        var name = new AssemblyName($"AeOnnx.ML.LoadedMapping{serial}");
        var assembly = AssemblyBuilder.DefineDynamicAssembly(name, AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule(name.Name!);

        var src = module.DefineType("Input", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class);
        // One field per distinct column: interpolating a column with itself reads it once.
        var inputs = spec.InputColumns.Distinct(StringComparer.Ordinal).ToArray();
        for (var i = 0; i < inputs.Length; i++)
        {
            var type = spec.Input switch
            {
                MappingInput.Path => typeof(string),
                MappingInput.Image => typeof(MLImage),
                _ => typeof(float[]),
            };
            var field = src.DefineField($"F{i}", type, FieldAttributes.Public);
            field.SetCustomAttribute(ColumnName(inputs[i]));
            if (spec.Input == MappingInput.Vector)
            {
                field.SetCustomAttribute(VectorType(spec.InputSize));
            }
        }

        src.DefineDefaultConstructor(MethodAttributes.Public);
        var srcType = src.CreateType();

        var dst = module.DefineType("Output", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class);
        var output = dst.DefineField("F0", spec.OutputSize == 0 ? typeof(float) : typeof(float[]), FieldAttributes.Public);
        output.SetCustomAttribute(ColumnName(spec.OutputColumn));
        if (spec.OutputSize > 0)
        {
            output.SetCustomAttribute(VectorType(spec.OutputSize));
        }

        if (spec.HasErrorColumn)
        {
            var error = dst.DefineField("F1", typeof(string), FieldAttributes.Public);
            error.SetCustomAttribute(ColumnName(spec.ErrorColumn));
        }

        dst.DefineDefaultConstructor(MethodAttributes.Public);
        var dstType = dst.CreateType();

        var baseType = typeof(AeOnnxMappingFactory<,>).MakeGenericType(srcType, dstType);
        var factory = module.DefineType("Factory", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, baseType);
        factory.SetCustomAttribute(new CustomAttributeBuilder(
            typeof(CustomMappingFactoryAttributeAttribute).GetConstructor([typeof(string)])!, [contract]));
        factory.DefineDefaultConstructor(MethodAttributes.Public);
        var factoryType = factory.CreateType();
        FactoryByInputType[srcType] = factoryType;
        return factoryType;
    }

    private static CustomAttributeBuilder ColumnName(string name) =>
        new(typeof(ColumnNameAttribute).GetConstructor([typeof(string)])!, [name]);

    private static CustomAttributeBuilder VectorType(int size) =>
        new(typeof(VectorTypeAttribute).GetConstructor([typeof(int[])])!, [new[] { size }]);
}
