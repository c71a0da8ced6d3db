using System.Reflection;
using System.Text.Json;

namespace AeOnnx.Server.Endpoints;

/// <summary>The JSON field names a request record accepts, for the message that refuses an unknown one.</summary>
internal static class JsonFields
{
    /// <summary>
    /// The fields of the object that holds the member at <paramref name="path"/> (System.Text.Json's
    /// <c>$.terms[0].weigth</c>), found by walking <paramref name="root"/>'s properties along the path.
    /// </summary>
    public static IReadOnlyList<string> Of(Type root, string? path)
    {
        var type = root;
        var segments = (path ?? "$").TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries);

        // Every segment but the last (the unknown field itself) names a property on the way down.
        foreach (var segment in segments.SkipLast(1))
        {
            var name = segment.Split('[')[0];
            var property = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .FirstOrDefault(p => string.Equals(JsonNamingPolicy.CamelCase.ConvertName(p.Name), name, StringComparison.Ordinal));
            if (property is null)
            {
                break;
            }

            type = Element(property.PropertyType);
        }

        return [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetMethod is not null && p.Name != "EqualityContract")
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))];
    }

    private static Type Element(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType()!;
        }

        var list = type.IsGenericType ? type.GetGenericArguments() : [];
        return list.Length == 1 ? list[0] : type;
    }
}
