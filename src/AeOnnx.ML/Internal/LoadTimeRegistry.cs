using System.Collections.Concurrent;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Emit;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace AeOnnx.ML.Internal;

/// <summary>
/// Makes saved AeOnnx mappings loadable. ML.NET loads a <c>CustomMapping</c> by looking up a class
/// marked <c>[CustomMappingFactoryAttribute(contractName)]</c> in the registered assemblies; its
/// output schema comes from that class's row type attributes. An AeOnnx contract name carries the
/// whole mapping (<see cref="MappingSpec"/>), so for each one found in a saved model this emits, once
/// per process, a small dynamic assembly with input/output row types (<c>[ColumnName]</c>,
/// <c>[VectorType(n)]</c>) and a factory deriving from <see cref="AeOnnxMappingFactory{TSrc, TDst}"/>.
/// </summary>
internal static partial class LoadTimeRegistry
{
    private static readonly ConcurrentDictionary<string, Assembly> Assemblies = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<Type, Registration> Registrations = new();
    private static readonly ConcurrentDictionary<Type, Type> FactoryByInputType = new();
    private static readonly Lock EmitLock = new();

    internal sealed record Registration(MappingSpec Spec, string? ModelDirectory, Device? Device);

    public static Registration Lookup(Type factoryType) =>
        Registrations.TryGetValue(factoryType, out var r)
            ? r
            : throw new InvalidOperationException($"No AeOnnx mapping is registered for {factoryType.FullName}.");

    /// <summary>The registration behind a loaded <c>CustomMappingTransformer&lt;TSrc, TDst&gt;</c>, by its generated input row type.</summary>
    public static Registration? TryLookupByInputType(Type inputRowType) =>
        FactoryByInputType.TryGetValue(inputRowType, out var factory) ? Lookup(factory) : null;

    /// <summary>Finds the AeOnnx contract names stored in a saved ML.NET model zip.</summary>
    public static IReadOnlyList<string> FindContracts(Stream zip)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        using var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        foreach (var entry in archive.Entries)
        {
            using var s = entry.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            var bytes = ms.GetBuffer().AsSpan(0, (int)ms.Length);
            // ML.NET's string table is UTF-16; UTF-8 too in case that changes. Search the bytes for
            // the prefix first, so large entries (embedded ONNX graphs) are never decoded as text.
            Scan(bytes, Encoding.Unicode, found);
            Scan(bytes, Encoding.UTF8, found);
        }

        return found.ToArray();
    }

    private static void Scan(ReadOnlySpan<byte> bytes, Encoding encoding, SortedSet<string> found)
    {
        var prefix = encoding.GetBytes(MappingSpec.Prefix);
        var suffix = encoding.GetBytes(MappingSpec.Suffix);
        var offset = 0;
        while (offset < bytes.Length)
        {
            var start = bytes[offset..].IndexOf(prefix);
            if (start < 0)
            {
                return;
            }

            start += offset;
            var rest = bytes[(start + prefix.Length)..];
            var end = rest.IndexOf(suffix);
            if (end < 0)
            {
                return;
            }

            var text = encoding.GetString(bytes.Slice(start, prefix.Length + end + suffix.Length));
            if (ContractPattern().IsMatch(text))
            {
                found.Add(text);
            }

            offset = start + prefix.Length;
        }
    }

    [GeneratedRegex(@"^AeOnnx/1\|[\x20-\x7E]*?\|end$")]
    private static partial Regex ContractPattern();

    /// <summary>Emits (once) and registers the factory for one contract.</summary>
    public static void Register(ComponentCatalog catalog, string contract, string? modelDirectory, Device? device)
    {
        var spec = MappingSpec.Parse(contract);
        Assembly assembly;
        lock (EmitLock)
        {
            if (!Assemblies.TryGetValue(contract, out assembly!))
            {
                var factory = Emit(spec, contract, Assemblies.Count);
                assembly = factory.Assembly;
                Assemblies[contract] = assembly;
                Registrations[factory] = new Registration(spec, modelDirectory, device);
            }
            else
            {
                var factory = assembly.GetTypes().Single(t => t.Name == "Factory");
                Registrations[factory] = new Registration(spec, modelDirectory, device);
            }
        }

        catalog.RegisterAssembly(assembly);
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
            var isPath = spec.Kind == OperationKind.LoadImages;
            var field = src.DefineField($"F{i}", isPath ? typeof(string) : typeof(float[]), FieldAttributes.Public);
            field.SetCustomAttribute(ColumnName(inputs[i]));
            if (!isPath)
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
