// Keeps only the publicly visible members in a compiler-written XML documentation file. The C# compiler
// writes the doc comments of every member, internal and private ones included; a package ships the
// public surface only. Visibility is read from the compiled assembly's metadata (no assembly is loaded),
// and each visible member's documentation ID is built by the rules of the C# spec (Annex D).
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Xml.Linq;

// usage: PublicXmlDocs ASSEMBLY.dll ASSEMBLY.xml   (rewrites the XML file in place)
internal static class PublicXmlDocs
{
    public static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: PublicXmlDocs ASSEMBLY.dll DOCUMENTATION.xml");
            return 2;
        }

        string assembly = args[0], documentation = args[1];
        HashSet<string> visible;
        using (var stream = File.OpenRead(assembly))
        using (var pe = new PEReader(stream))
        {
            visible = VisibleIds(pe.GetMetadataReader());
        }

        var doc = XDocument.Load(documentation, LoadOptions.PreserveWhitespace);
        var members = doc.Root?.Element("members");
        if (members == null)
        {
            return 0;
        }

        var dropped = members.Elements("member").Where(m => !visible.Contains((string?)m.Attribute("name") ?? "")).ToList();
        foreach (var member in dropped)
        {
            // the whitespace before the element goes with it, so the file stays tidy
            if (member.PreviousNode is XText text && string.IsNullOrWhiteSpace(text.Value))
            {
                text.Remove();
            }

            member.Remove();
        }

        doc.Save(documentation, SaveOptions.DisableFormatting);
        Console.WriteLine($"{Path.GetFileName(documentation)}: {dropped.Count} non-public members left out, {members.Elements("member").Count()} kept");
        return 0;
    }

    private static HashSet<string> VisibleIds(MetadataReader md)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var provider = new DocTypeProvider(md);
        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            if (!IsVisible(md, type))
            {
                continue;
            }

            var typeId = provider.TypeName(handle);
            ids.Add("T:" + typeId);

            foreach (var mh in type.GetMethods())
            {
                var method = md.GetMethodDefinition(mh);
                if (!Visible(method.Attributes))
                {
                    continue;
                }

                ids.Add("M:" + typeId + "." + MethodPart(md, provider, method));
            }

            foreach (var fh in type.GetFields())
            {
                var field = md.GetFieldDefinition(fh);
                var access = field.Attributes & FieldAttributes.FieldAccessMask;
                if (access is FieldAttributes.Public or FieldAttributes.Family or FieldAttributes.FamORAssem)
                {
                    ids.Add("F:" + typeId + "." + Name(md.GetString(field.Name)));
                }
            }

            foreach (var ph in type.GetProperties())
            {
                var property = md.GetPropertyDefinition(ph);
                var accessors = property.GetAccessors();
                var any = false;
                foreach (var a in new[] { accessors.Getter, accessors.Setter })
                {
                    if (!a.IsNil && Visible(md.GetMethodDefinition(a).Attributes))
                    {
                        any = true;
                    }
                }

                if (!any)
                {
                    continue;
                }

                var sig = property.DecodeSignature(provider, new Context(typeId, null));
                var parameters = sig.ParameterTypes.Length == 0 ? "" : "(" + string.Join(",", sig.ParameterTypes) + ")";
                ids.Add("P:" + typeId + "." + Name(md.GetString(property.Name)) + parameters);
            }

            foreach (var eh in type.GetEvents())
            {
                var ev = md.GetEventDefinition(eh);
                var adder = ev.GetAccessors().Adder;
                if (!adder.IsNil && Visible(md.GetMethodDefinition(adder).Attributes))
                {
                    ids.Add("E:" + typeId + "." + Name(md.GetString(ev.Name)));
                }
            }
        }

        return ids;
    }

    private static string MethodPart(MetadataReader md, DocTypeProvider provider, MethodDefinition method)
    {
        var name = Name(md.GetString(method.Name));
        var arity = method.GetGenericParameters().Count;
        var sig = method.DecodeSignature(provider, new Context("", null));
        var sb = new StringBuilder(name);
        if (arity > 0)
        {
            sb.Append("``").Append(arity);
        }

        if (sig.ParameterTypes.Length > 0)
        {
            sb.Append('(').Append(string.Join(",", sig.ParameterTypes)).Append(')');
        }

        if (name is "op_Implicit" or "op_Explicit")
        {
            sb.Append('~').Append(sig.ReturnType);
        }

        return sb.ToString();
    }

    // '.' inside a member name (explicit interface implementations, .ctor) becomes '#'; generic brackets become braces.
    private static string Name(string metadataName) =>
        metadataName.Replace('.', '#').Replace('<', '{').Replace('>', '}');

    private static bool Visible(MethodAttributes attributes)
    {
        var access = attributes & MethodAttributes.MemberAccessMask;
        return access is MethodAttributes.Public or MethodAttributes.Family or MethodAttributes.FamORAssem;
    }

    private static bool IsVisible(MetadataReader md, TypeDefinition type)
    {
        var visibility = type.Attributes & TypeAttributes.VisibilityMask;
        if (visibility == TypeAttributes.Public)
        {
            return true;
        }

        if (visibility is not (TypeAttributes.NestedPublic or TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem))
        {
            return false;
        }

        return IsVisible(md, md.GetTypeDefinition(type.GetDeclaringType()));
    }

    private sealed record Context(string TypeId, object? Unused);

    // Types as documentation IDs write them: System.Int32, Ns.Outer.Inner, List{System.String}, `0, ``0, T[], T@, T*.
    private sealed class DocTypeProvider : ISignatureTypeProvider<string, Context>
    {
        private readonly MetadataReader _md;

        public DocTypeProvider(MetadataReader md) => _md = md;

        public string TypeName(TypeDefinitionHandle handle)
        {
            var type = _md.GetTypeDefinition(handle);
            var name = _md.GetString(type.Name);
            var declaring = type.GetDeclaringType();
            if (!declaring.IsNil)
            {
                return TypeName(declaring) + "." + name;
            }

            var ns = _md.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        private static string WithoutArity(string name) => System.Text.RegularExpressions.Regex.Replace(name, "`[0-9]+", "");

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
        {
            PrimitiveTypeCode.Boolean => "System.Boolean",
            PrimitiveTypeCode.Byte => "System.Byte",
            PrimitiveTypeCode.SByte => "System.SByte",
            PrimitiveTypeCode.Char => "System.Char",
            PrimitiveTypeCode.Int16 => "System.Int16",
            PrimitiveTypeCode.UInt16 => "System.UInt16",
            PrimitiveTypeCode.Int32 => "System.Int32",
            PrimitiveTypeCode.UInt32 => "System.UInt32",
            PrimitiveTypeCode.Int64 => "System.Int64",
            PrimitiveTypeCode.UInt64 => "System.UInt64",
            PrimitiveTypeCode.Single => "System.Single",
            PrimitiveTypeCode.Double => "System.Double",
            PrimitiveTypeCode.IntPtr => "System.IntPtr",
            PrimitiveTypeCode.UIntPtr => "System.UIntPtr",
            PrimitiveTypeCode.Object => "System.Object",
            PrimitiveTypeCode.String => "System.String",
            PrimitiveTypeCode.TypedReference => "System.TypedReference",
            PrimitiveTypeCode.Void => "System.Void",
            _ => typeCode.ToString(),
        };

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => TypeName(handle);

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var reference = reader.GetTypeReference(handle);
            var name = reader.GetString(reference.Name);
            if (reference.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                return GetTypeFromReference(reader, (TypeReferenceHandle)reference.ResolutionScope, rawTypeKind) + "." + name;
            }

            var ns = reader.GetString(reference.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        public string GetTypeFromSpecification(MetadataReader reader, Context genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            WithoutArity(genericType) + "{" + string.Join(",", typeArguments) + "}";

        public string GetGenericTypeParameter(Context genericContext, int index) => "`" + index;

        public string GetGenericMethodParameter(Context genericContext, int index) => "``" + index;

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetArrayType(string elementType, ArrayShape shape) =>
            elementType + "[" + string.Join(",", Enumerable.Range(0, shape.Rank).Select(i =>
                (i < shape.LowerBounds.Length ? shape.LowerBounds[i] : 0) + ":" + (i < shape.Sizes.Length ? shape.Sizes[i].ToString() : ""))) + "]";

        public string GetByReferenceType(string elementType) => elementType + "@";

        public string GetPointerType(string elementType) => elementType + "*";

        public string GetPinnedType(string elementType) => elementType;

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetFunctionPointerType(MethodSignature<string> signature) => "=FUNC:" + signature.ReturnType;
    }
}
