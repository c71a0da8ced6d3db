using System.Reflection;
using System.Xml.Linq;

namespace AeOnnx.Tests;

/// <summary>
/// The XML documentation that ships in the AeOnnx package documents the public surface only: the compiler
/// writes internal members' comments too, and scripts/build/PublicXmlDocs removes them after each compile. Checked
/// here with reflection, independently of the metadata reading that tool does.
/// </summary>
public sealed class PublicDocumentationTests
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Assembly Library = typeof(Autoencoder).Assembly;

    private static List<string> DocumentedIds() =>
        XDocument.Load(Path.Combine(AppContext.BaseDirectory, "AeOnnx.xml"))
            .Root!.Element("members")!.Elements("member").Select(m => (string)m.Attribute("name")!).ToList();

    [Fact]
    public void Every_documented_member_is_visible_outside_the_assembly()
    {
        var ids = DocumentedIds();
        Assert.True(ids.Count > 100, $"only {ids.Count} documented members");
        foreach (var id in ids)
        {
            if (id.StartsWith("T:", StringComparison.Ordinal))
            {
                var type = FindType(id[2..]);
                Assert.True(type is not null && type.IsVisible, $"{id}: not a public type");
                continue;
            }

            var path = id[2..];
            var paren = path.IndexOf('(', StringComparison.Ordinal);
            if (paren >= 0)
            {
                path = path[..paren];
            }

            var dot = path.LastIndexOf('.');
            var owner = FindType(path[..dot]);
            var name = path[(dot + 1)..].Replace("#ctor", ".ctor", StringComparison.Ordinal);
            var ticks = name.IndexOf("``", StringComparison.Ordinal);
            if (ticks >= 0)
            {
                name = name[..ticks];
            }

            Assert.True(owner is not null && owner.IsVisible, $"{id}: its type is not public");
            var members = owner!.GetMember(name, Declared);
            Assert.True(members.Any(IsVisibleMember), $"{id}: no public or protected member of that name");
        }
    }

    [Fact]
    public void Every_public_type_and_member_name_keeps_its_documentation()
    {
        var ids = DocumentedIds().ToHashSet(StringComparer.Ordinal);
        var names = ids.Select(MemberName).ToHashSet(StringComparer.Ordinal);
        foreach (var type in Library.GetTypes().Where(t => t.IsVisible))
        {
            var typeId = "T:" + DocName(type);
            Assert.Contains(typeId, ids);
            foreach (var method in type.GetMethods(Declared).Where(m => IsVisibleMember(m) && !m.IsSpecialName && !IsGenerated(m)))
            {
                Assert.True(names.Contains(DocName(type) + "." + method.Name), $"{DocName(type)}.{method.Name}: public, but its documentation was dropped");
            }
        }

        // and an internal type whose comments the compiler wrote is not among them
        Assert.DoesNotContain("T:AeOnnx.Runtime.SessionFactory", ids);
    }

    private static string MemberName(string id)
    {
        var path = id[2..];
        var paren = path.IndexOf('(', StringComparison.Ordinal);
        path = paren >= 0 ? path[..paren] : path;
        var ticks = path.IndexOf("``", StringComparison.Ordinal);
        return ticks >= 0 ? path[..ticks] : path;
    }

    private static Type? FindType(string docName)
    {
        // nested types are written Outer.Inner in documentation IDs, Outer+Inner in reflection
        var parts = docName.Split('.');
        for (var nested = 0; nested < parts.Length; nested++)
        {
            var ns = string.Join('.', parts[..(parts.Length - nested - 1)]);
            var rest = string.Join('+', parts[(parts.Length - nested - 1)..]);
            var type = Library.GetType(ns.Length == 0 ? rest : ns + "." + rest);
            if (type is not null)
            {
                return type;
            }
        }

        return null;
    }

    private static string DocName(Type type) =>
        type.DeclaringType is { } outer ? DocName(outer) + "." + type.Name : type.FullName!;

    private static bool IsGenerated(MemberInfo member) =>
        member.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), false) || member.Name.Contains('<', StringComparison.Ordinal)
        || member.DeclaringType!.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), false)
        || member.Name is "Equals" or "GetHashCode" or "ToString" or "Deconstruct" or "PrintMembers" && IsRecord(member.DeclaringType!);

    private static bool IsRecord(Type type) => type.GetMethod("<Clone>$") is not null || type.GetProperty("EqualityContract", BindingFlags.NonPublic | BindingFlags.Instance) is not null;

    private static bool IsVisibleMember(MemberInfo member) => member switch
    {
        MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => p.GetAccessors(true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily || add.IsFamilyOrAssembly),
        Type t => t.IsVisible,
        _ => false,
    };
}
