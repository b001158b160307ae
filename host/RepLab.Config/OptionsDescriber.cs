using System.Collections;
using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace RepLab.Config;

/// <summary>One option of an options type, as listed by <c>replab plugins</c>.</summary>
/// <param name="Key">The YAML key; nested options appear as <c>projection.hidden</c>.</param>
/// <param name="Type">The value type in words (<c>int</c>, <c>float</c>, <c>list of float</c>, <c>one of: mse, cosine</c>), with a range when one is declared.</param>
/// <param name="Default">The default value as it would be written in YAML.</param>
/// <param name="Doc">The property's XML documentation summary on one line; empty when undocumented.</param>
public sealed record OptionDescription(string Key, string Type, string Default, string Doc);

/// <summary>Lists the options of an options type with their types, defaults and XML documentation.</summary>
public static partial class OptionsDescriber
{
    private static readonly ConcurrentDictionary<Assembly, IReadOnlyDictionary<string, string>> Docs = new();

    /// <summary>Describes every bindable property of <paramref name="optionsType"/>, nested options flattened after their parent.</summary>
    public static IReadOnlyList<OptionDescription> Describe(Type optionsType)
    {
        var result = new List<OptionDescription>();
        Describe(optionsType, Activator.CreateInstance(optionsType), "", result, []);
        return result;
    }

    private static void Describe(Type type, object? defaults, string prefix, List<OptionDescription> result, HashSet<Type> visiting)
    {
        if (!visiting.Add(type))
            return;
        foreach (var (property, key) in OptionNames.Properties(type))
        {
            var value = defaults is null ? null : property.GetValue(defaults);
            var path = KeyPath.Append(prefix, key);
            var nested = IsNested(property.PropertyType);
            result.Add(new OptionDescription(path, TypeName(property), nested ? "" : OptionsBinder.FormatValue(value), Doc(property)));
            if (nested)
                Describe(property.PropertyType, value ?? SafeCreate(property.PropertyType), path, result, visiting);
        }
        visiting.Remove(type);
    }

    private static bool IsNested(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type) && !typeof(ConfigNode).IsAssignableFrom(type);

    private static object? SafeCreate(Type type) => type.GetConstructor(Type.EmptyTypes) is null ? null : Activator.CreateInstance(type);

    private static string TypeName(PropertyInfo property)
    {
        var name = TypeName(property.PropertyType);
        var range = property.GetCustomAttribute<RangeAttribute>();
        return range is null ? name : $"{name} ({OptionsBinder.FormatValue(range.Minimum)}..{OptionsBinder.FormatValue(range.Maximum)})";
    }

    private static string TypeName(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
            return TypeName(underlying) + "?";
        if (type == typeof(string)) return "string";
        if (type == typeof(bool)) return "bool";
        if (type == typeof(int)) return "int";
        if (type == typeof(long)) return "long";
        if (type == typeof(float)) return "float";
        if (type == typeof(double)) return "double";
        if (type.IsEnum) return "one of: " + string.Join(", ", OptionNames.EnumMembers(type).Select(m => m.Key));
        if (type.IsArray) return "list of " + TypeName(type.GetElementType()!);
        if (typeof(ConfigNode).IsAssignableFrom(type)) return type == typeof(ConfigList) ? "list" : type == typeof(ConfigMap) ? "map" : "any";
        if (type.IsGenericType)
        {
            var arguments = type.GetGenericArguments();
            if (arguments.Length == 1 && typeof(IEnumerable).IsAssignableFrom(type)) return "list of " + TypeName(arguments[0]);
            if (arguments.Length == 2) return "map of " + TypeName(arguments[1]);
        }
        return "map";
    }

    private static string Doc(PropertyInfo property)
    {
        var docs = Docs.GetOrAdd(property.DeclaringType!.Assembly, Load);
        var id = $"P:{property.DeclaringType!.FullName!.Replace('+', '.')}.{property.Name}";
        return docs.GetValueOrDefault(id, "");
    }

    /// <summary>Reads <c>AssemblyName.xml</c> beside the assembly (written when GenerateDocumentationFile is on).</summary>
    private static IReadOnlyDictionary<string, string> Load(Assembly assembly)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(assembly.Location))
            return result;
        var file = Path.ChangeExtension(assembly.Location, ".xml");
        if (!File.Exists(file))
            return result;
        try
        {
            foreach (var member in XDocument.Load(file).Descendants("member"))
            {
                var name = (string?)member.Attribute("name");
                var summary = member.Element("summary");
                if (name is not null && summary is not null)
                    result[name] = Text(summary);
            }
        }
        catch (System.Xml.XmlException)
        {
            // A damaged documentation file only costs the descriptions, not the listing.
        }
        return result;
    }

    private static string Text(XElement element)
    {
        var sb = new StringBuilder();
        foreach (var node in element.Nodes())
        {
            sb.Append(node switch
            {
                XText text => text.Value,
                XElement { Name.LocalName: "see" or "seealso" } see when see.IsEmpty =>
                    ((string?)see.Attribute("cref") ?? (string?)see.Attribute("langword") ?? (string?)see.Attribute("href") ?? "").Split(':', 2)[^1].Split('.')[^1],
                XElement { Name.LocalName: "paramref" or "typeparamref" } reference => (string?)reference.Attribute("name") ?? "",
                XElement child => Text(child),
                _ => "",
            });
        }
        return Whitespace().Replace(sb.ToString(), " ").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
