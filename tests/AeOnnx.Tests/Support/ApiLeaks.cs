using System.Reflection;

namespace AeOnnx.Tests.Support;

/// <summary>Finds public signatures of an assembly that expose a type of its parts (ImageSharp, ONNX Runtime, Skia), and settable statics.</summary>
internal static class ApiLeaks
{
    public static IEnumerable<string> Find(Assembly assembly)
    {
        static bool Foreign(Type type)
        {
            foreach (var t in Expand(type))
            {
                var ns = t.Namespace ?? string.Empty;
                if (ns.StartsWith("SixLabors", StringComparison.Ordinal) || ns.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal) || ns.StartsWith("SkiaSharp", StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        const BindingFlags publicMembers = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.BaseType is { } baseType && Foreign(baseType))
            {
                yield return $"{type.FullName}: base {baseType}";
            }

            foreach (var method in type.GetMethods(publicMembers).Where(m => !m.IsSpecialName))
            {
                if (Foreign(method.ReturnType) || method.GetParameters().Any(p => Foreign(p.ParameterType)))
                {
                    yield return $"{type.FullName}.{method.Name}";
                }
            }

            foreach (var constructor in type.GetConstructors())
            {
                if (constructor.GetParameters().Any(p => Foreign(p.ParameterType)))
                {
                    yield return $"{type.FullName} constructor";
                }
            }

            foreach (var property in type.GetProperties(publicMembers))
            {
                if (Foreign(property.PropertyType))
                {
                    yield return $"{type.FullName}.{property.Name}";
                }

                if (property.GetMethod?.IsStatic == true && property.SetMethod is { IsPublic: true })
                {
                    yield return $"{type.FullName}.{property.Name}: a settable static";
                }
            }

            foreach (var field in type.GetFields(publicMembers).Where(f => !f.IsLiteral))
            {
                if (Foreign(field.FieldType) || (field.IsStatic && !field.IsInitOnly))
                {
                    yield return $"{type.FullName}.{field.Name}";
                }
            }
        }
    }

    private static IEnumerable<Type> Expand(Type type)
    {
        yield return type;
        if (type.HasElementType)
        {
            foreach (var t in Expand(type.GetElementType()!))
            {
                yield return t;
            }
        }

        if (type.IsGenericType)
        {
            foreach (var t in type.GetGenericArguments().SelectMany(Expand))
            {
                yield return t;
            }
        }
    }
}
