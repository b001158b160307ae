using System.Reflection;
using System.Runtime.Serialization;
using System.Text;

namespace RepLab.Config;

/// <summary>The mapping between PascalCase C# names and kebab-case YAML names.</summary>
public static class OptionNames
{
    /// <summary><c>WeightDecay</c> → <c>weight-decay</c>, <c>RandomCrop</c> → <c>random-crop</c>, <c>KnnK</c> → <c>knn-k</c>, <c>HTTPServer</c> → <c>http-server</c>.</summary>
    public static string ToKebab(string name)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                var previous = name[i - 1];
                var nextIsLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                // A capital starts a word after a lower-case letter or digit, or ends an acronym ("HTTPServer").
                if (char.IsLower(previous) || char.IsDigit(previous) || (char.IsUpper(previous) && nextIsLower))
                    sb.Append('-');
            }
            else if (c == '_' && i > 0)
            {
                sb.Append('-');
                continue;
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The YAML key a written key stands for: snake_case and kebab-case are the same key.</summary>
    public static string NormaliseKey(string key) => key.Replace('_', '-');

    /// <summary>
    /// The bindable properties of an options type (public, instance, with a public setter or init), with their YAML
    /// keys: the kebab-case name, or the name a <see cref="DataMemberAttribute"/> gives; <see cref="IgnoreDataMemberAttribute"/> leaves one out.
    /// </summary>
    public static IReadOnlyList<(PropertyInfo Property, string Key)> Properties(Type optionsType) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<IgnoreDataMemberAttribute>() is null)
            .Select(p => (p, p.GetCustomAttribute<DataMemberAttribute>()?.Name ?? ToKebab(p.Name)))
            .ToArray();

    /// <summary>The YAML names of an enum's members, in declaration order.</summary>
    public static IReadOnlyList<(string Key, object Value)> EnumMembers(Type enumType) =>
        enumType.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (ToKebab(f.Name), f.GetValue(null)!))
            .ToArray();
}
