using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace RepLab.Config;

/// <summary>
/// Binds a config map to a typed options class or record: keys are kebab-case (or snake_case) names of its public
/// settable properties, values are converted and validated with DataAnnotations and <see cref="IValidatableObject"/>.
/// Defaults are the property initializers. All errors are collected and thrown together.
/// </summary>
/// <remarks>
/// Supported property types: bool, int, long, float, double, string, enums (kebab-case names), nullable of those,
/// arrays, <see cref="List{T}"/>, <see cref="IReadOnlyList{T}"/> (and other list interfaces) of supported types,
/// nested options classes, <see cref="Dictionary{TKey,TValue}"/> and <see cref="IReadOnlyDictionary{TKey,TValue}"/>
/// with string keys, and <see cref="ConfigNode"/> (the raw subtree, e.g. for lists of plugin subtrees).
/// </remarks>
public static class OptionsBinder
{
    /// <summary>Binds <paramref name="map"/> to a new <typeparamref name="T"/>.</summary>
    /// <inheritdoc cref="Bind(Type, ConfigNode, string, IReadOnlySet{string})"/>
    public static T Bind<T>(ConfigNode map, string keyPath, IReadOnlySet<string>? ignoreKeys = null)
        where T : class, new() =>
        (T)Bind(typeof(T), map, keyPath, ignoreKeys);

    /// <summary>Binds <paramref name="map"/> to a new instance of <paramref name="optionsType"/>.</summary>
    /// <param name="optionsType">A class or record with a parameterless constructor.</param>
    /// <param name="map">The subtree; a <see cref="ConfigNull"/> binds to the defaults.</param>
    /// <param name="keyPath">The subtree's key path, prefixed to every key path in errors.</param>
    /// <param name="ignoreKeys">Keys of this map that are not options (e.g. <c>plugin</c>).</param>
    /// <exception cref="ConfigException">Listing every unknown key, wrong type, out-of-range or missing value.</exception>
    public static object Bind(Type optionsType, ConfigNode map, string keyPath, IReadOnlySet<string>? ignoreKeys = null)
    {
        var errors = new List<ConfigError>();
        var result = BindObject(optionsType, map, keyPath, ignoreKeys, errors);
        if (errors.Count > 0)
            throw new ConfigException(errors);
        return result!;
    }

    /// <summary>
    /// A copy of <paramref name="baseline"/> with the settings <paramref name="map"/> gives: keys it leaves out keep
    /// the baseline's values (a method's paper defaults under the experiment's overrides). Validated as <see cref="Bind"/> does.
    /// </summary>
    /// <exception cref="ConfigException">Listing every unknown key, wrong type, out-of-range or invalid value.</exception>
    public static T BindOver<T>(T baseline, ConfigNode map, string keyPath) where T : class
    {
        var errors = new List<ConfigError>();
        var result = BindObject(typeof(T), map, keyPath, null, errors, baseline);
        if (errors.Count > 0)
            throw new ConfigException(errors);
        return (T)result!;
    }

    private static readonly MethodInfo ShallowCopy = typeof(object).GetMethod(nameof(MemberwiseClone), BindingFlags.Instance | BindingFlags.NonPublic)!;

    private static object? BindObject(Type type, ConfigNode node, string path, IReadOnlySet<string>? ignoreKeys, List<ConfigError> errors, object? baseline = null)
    {
        if (baseline is null && type.GetConstructor(Type.EmptyTypes) is null)
            throw new InvalidOperationException($"options type {type} needs a public parameterless constructor (its property initializers are the defaults)");
        var instance = baseline is null ? Activator.CreateInstance(type)! : ShallowCopy.Invoke(baseline, null)!;
        if (node is ConfigNull)
        {
            Validate(instance, path, node.Location, new Dictionary<string, ConfigEntry>(), [], errors);
            return instance;
        }
        if (node is not ConfigMap map)
        {
            errors.Add(new ConfigError(node.Location, path, $"expected a map of {DisplayName(type)} options, got {node.Describe()}"));
            return null;
        }
        var properties = OptionNames.Properties(type);
        var given = new Dictionary<string, ConfigEntry>(StringComparer.Ordinal);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            if (ignoreKeys?.Contains(entry.Key) == true)
                continue;
            var childPath = KeyPath.Append(path, entry.Key);
            var key = OptionNames.NormaliseKey(entry.Key);
            var match = properties.FirstOrDefault(p => p.Key == key);
            if (match.Property is null)
            {
                var keys = properties.Select(p => p.Key).ToArray();
                errors.Add(new ConfigError(entry.KeyLocation, childPath,
                    $"unknown key '{entry.Key}'{DidYouMean.Hint(entry.Key, keys)}; expected one of: {string.Join(", ", keys)}"));
                continue;
            }
            if (given.TryGetValue(match.Property.Name, out var first))
            {
                errors.Add(new ConfigError(entry.KeyLocation, childPath,
                    $"'{entry.Key}' repeats '{first.Key}' (line {first.KeyLocation.Line}); expected each key once"));
                continue;
            }
            given[match.Property.Name] = entry;
            var before = errors.Count;
            var value = BindValue(match.Property.PropertyType, entry.Value, childPath, errors);
            if (errors.Count > before)
                failed.Add(match.Property.Name);
            else
                match.Property.SetValue(instance, value);
        }
        Validate(instance, path, map.Location, given, failed, errors);
        return instance;
    }

    /// <summary>Runs DataAnnotations on each property, recurses into nested options left at their defaults, then <see cref="IValidatableObject"/>.</summary>
    private static void Validate(object instance, string path, SourceLocation mapLocation,
        Dictionary<string, ConfigEntry> given, HashSet<string> failed, List<ConfigError> errors)
    {
        var before = errors.Count;
        foreach (var (property, key) in OptionNames.Properties(instance.GetType()))
        {
            if (failed.Contains(property.Name))
                continue;
            var written = given.GetValueOrDefault(property.Name);
            var location = written?.Value.Location ?? mapLocation;
            var childPath = KeyPath.Append(path, written?.Key ?? key);
            var value = property.GetValue(instance);
            var context = new ValidationContext(instance) { MemberName = property.Name, DisplayName = key };
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
            {
                if (attribute.GetValidationResult(value, context) is { } result && result != ValidationResult.Success)
                    errors.Add(new ConfigError(location, childPath, ValidationMessage(attribute, key, value, written is null, result)));
            }
            // A nested options object the user did not write still has to be valid (e.g. a required key inside it).
            if (written is null && value is not null && IsOptionsClass(property.PropertyType))
                Validate(value, childPath, mapLocation, new Dictionary<string, ConfigEntry>(), [], errors);
        }
        if (errors.Count > before || failed.Count > 0 || instance is not IValidatableObject validatable)
            return;
        foreach (var result in validatable.Validate(new ValidationContext(instance)))
        {
            var member = result.MemberNames.FirstOrDefault();
            var property = member is null ? null : instance.GetType().GetProperty(member);
            var written = property is null ? null : given.GetValueOrDefault(property.Name);
            var childPath = property is null ? path : KeyPath.Append(path, written?.Key ?? OptionNames.ToKebab(property.Name));
            errors.Add(new ConfigError(written?.Value.Location ?? mapLocation, childPath, result.ErrorMessage ?? "invalid value"));
        }
    }

    private static string ValidationMessage(ValidationAttribute attribute, string key, object? value, bool missing, ValidationResult result)
    {
        if (!string.IsNullOrEmpty(attribute.ErrorMessage))
            return result.ErrorMessage!;
        var shown = FormatValue(value);
        return attribute switch
        {
            RequiredAttribute when missing => $"missing required key '{key}'; expected a value for it",
            RequiredAttribute => $"expected a non-empty value for '{key}', got {shown}",
            RangeAttribute range => $"expected a value between {FormatValue(range.Minimum)} and {FormatValue(range.Maximum)}" +
                $"{(range.MinimumIsExclusive ? " (minimum excluded)" : "")}{(range.MaximumIsExclusive ? " (maximum excluded)" : "")}, got {shown}",
            MinLengthAttribute min => $"expected at least {min.Length} {(value is string ? "characters" : "items")}, got {Count(value)}",
            MaxLengthAttribute max => $"expected at most {max.Length} {(value is string ? "characters" : "items")}, got {Count(value)}",
            LengthAttribute length => $"expected between {length.MinimumLength} and {length.MaximumLength} {(value is string ? "characters" : "items")}, got {Count(value)}",
            _ => result.ErrorMessage ?? $"invalid value {shown}",
        };
    }

    private static int Count(object? value) => value switch
    {
        string s => s.Length,
        ICollection c => c.Count,
        IEnumerable e => e.Cast<object?>().Count(),
        _ => 0,
    };

    private static object? BindValue(Type type, ConfigNode node, string path, List<ConfigError> errors)
    {
        if (typeof(ConfigNode).IsAssignableFrom(type))
        {
            if (type.IsInstanceOfType(node))
                return node;
            return Fail(errors, node, path, type == typeof(ConfigMap) ? "a map" : type == typeof(ConfigList) ? "a list" : "a value");
        }
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
            return node is ConfigNull ? null : BindValue(underlying, node, path, errors);
        if (type == typeof(string))
            return node is ConfigScalar s ? s.Value : Fail(errors, node, path, "a string");
        if (type == typeof(bool))
            return node is ConfigScalar s && s.TryGetBool(out var b) ? b : Fail(errors, node, path, "true or false");
        if (type == typeof(int))
            return Integer(node, path, int.MinValue, int.MaxValue, errors) is { } i ? (int)i : null;
        if (type == typeof(long))
            return Integer(node, path, long.MinValue, long.MaxValue, errors);
        if (type == typeof(double))
            return node is ConfigScalar s && s.TryGetDouble(out var d) ? d : Fail(errors, node, path, "a number");
        if (type == typeof(float))
        {
            if (node is not ConfigScalar s || !s.TryGetDouble(out var d))
                return Fail(errors, node, path, "a number");
            if (double.IsFinite(d) && !float.IsFinite((float)d))
                return Fail(errors, node, path, $"a number between {float.MinValue} and {float.MaxValue}");
            return (float)d;
        }
        if (type.IsEnum)
            return Enum(type, node, path, errors);
        if (type.IsArray)
        {
            var items = BindList(type.GetElementType()!, node, path, errors);
            if (items is null)
                return null;
            var array = Array.CreateInstance(type.GetElementType()!, items.Count);
            items.CopyTo(array, 0);
            return array;
        }
        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var arguments = type.GetGenericArguments();
            if (definition == typeof(List<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>)
                || definition == typeof(IEnumerable<>) || definition == typeof(ICollection<>) || definition == typeof(IReadOnlyCollection<>))
                return BindList(arguments[0], node, path, errors);
            if ((definition == typeof(Dictionary<,>) || definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>))
                && arguments[0] == typeof(string))
                return BindDictionary(arguments[1], node, path, errors);
        }
        if (IsOptionsClass(type))
            return BindObject(type, node, path, null, errors);
        throw new NotSupportedException($"options property type {type} at '{path}' is not supported by the binder");
    }

    private static bool IsOptionsClass(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type) && !typeof(ConfigNode).IsAssignableFrom(type);

    private static IList? BindList(Type elementType, ConfigNode node, string path, List<ConfigError> errors)
    {
        if (node is not ConfigList list)
            return (IList?)Fail(errors, node, path, $"a list of {Expected(elementType)}");
        var result = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elementType))!;
        var before = errors.Count;
        for (var i = 0; i < list.Items.Count; i++)
        {
            var item = BindValue(elementType, list.Items[i], KeyPath.Append(path, i), errors);
            if (errors.Count == before)
                result.Add(item);
        }
        return errors.Count > before ? null : result;
    }

    private static IDictionary? BindDictionary(Type valueType, ConfigNode node, string path, List<ConfigError> errors)
    {
        if (node is not ConfigMap map)
            return (IDictionary?)Fail(errors, node, path, $"a map of {Expected(valueType)}");
        var result = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType))!;
        var before = errors.Count;
        foreach (var entry in map.Entries)
        {
            var item = BindValue(valueType, entry.Value, KeyPath.Append(path, entry.Key), errors);
            if (errors.Count == before)
                result[entry.Key] = item;
        }
        return errors.Count > before ? null : result;
    }

    private static long? Integer(ConfigNode node, string path, long min, long max, List<ConfigError> errors)
    {
        if (node is ConfigScalar s)
        {
            long value;
            if (s.TryGetInteger(out value) || (s.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e18 && (value = (long)d) == d))
            {
                if (value >= min && value <= max)
                    return value;
                Fail(errors, node, path, $"an integer between {min} and {max}");
                return null;
            }
        }
        Fail(errors, node, path, "an integer");
        return null;
    }

    private static object? Enum(Type type, ConfigNode node, string path, List<ConfigError> errors)
    {
        var members = OptionNames.EnumMembers(type);
        var names = members.Select(m => m.Key).ToArray();
        if (node is ConfigScalar s)
        {
            var key = OptionNames.NormaliseKey(s.Value);
            foreach (var (name, value) in members)
            {
                if (name == key || string.Equals(name.Replace("-", ""), key, StringComparison.OrdinalIgnoreCase))
                    return value;
            }
            errors.Add(new ConfigError(node.Location, path,
                $"expected one of: {string.Join(", ", names)}, got {node.Describe()}{(s.Quoted ? "" : DidYouMean.Hint(s.Value, names))}"));
            return null;
        }
        return Fail(errors, node, path, $"one of: {string.Join(", ", names)}");
    }

    private static object? Fail(List<ConfigError> errors, ConfigNode node, string path, string expected)
    {
        errors.Add(new ConfigError(node.Location, path, $"expected {expected}, got {node.Describe()}"));
        return null;
    }

    /// <summary>How a value of <paramref name="type"/> is named in "expected ..." messages.</summary>
    internal static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "strings";
        if (type == typeof(bool)) return "booleans";
        if (type == typeof(int) || type == typeof(long)) return "integers";
        if (type == typeof(float) || type == typeof(double)) return "numbers";
        if (type.IsEnum) return $"names ({string.Join(", ", OptionNames.EnumMembers(type).Select(m => m.Key))})";
        return $"{DisplayName(type)} values";
    }

    private static string DisplayName(Type type) => type.Name.EndsWith("Options", StringComparison.Ordinal) && type.Name.Length > 7
        ? OptionNames.ToKebab(type.Name[..^7])
        : OptionNames.ToKebab(type.Name);

    /// <summary>Formats a bound or default value as it would be written in YAML.</summary>
    public static string FormatValue(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f when value.GetType().IsEnum => OptionNames.ToKebab(f.ToString(null, CultureInfo.InvariantCulture)),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IDictionary d => "{" + string.Join(", ", d.Keys.Cast<object>().Select(k => $"{k}: {FormatValue(d[k])}")) + "}",
        ConfigNode n => n is ConfigScalar s ? s.Value : ConfigYaml.Write(n).Trim(),
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(FormatValue)) + "]",
        _ => value.ToString() ?? "",
    };
}
