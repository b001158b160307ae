using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Xml.Linq;
using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Plugins;

namespace RepLab.Host.Conformance;

/// <summary>The checks of a plugin's options record and documentation.</summary>
internal static class OptionChecks
{
    /// <summary>The defaults validate and the plugin is built with them.</summary>
    public static void Defaults(PluginDescriptor d)
    {
        var options = Activator.CreateInstance(d.OptionsType)!;
        var results = new List<ValidationResult>();
        Expect.That(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true),
            $"the defaults of {d.OptionsType.Name} do not validate: {string.Join("; ", results.Select(r => r.ErrorMessage))}");
        var instance = d.OptionsType == typeof(NoOptions) ? Activator.CreateInstance(d.Type) : Activator.CreateInstance(d.Type, options);
        Expect.That(instance is not null, $"{d.Type.Name} is not built from its defaults");
    }

    /// <summary>A summary on the attribute, and an XML doc for every option in the .xml beside the assembly (what <c>replab plugins</c> shows).</summary>
    public static void Docs(PluginDescriptor d)
    {
        Expect.That(!string.IsNullOrWhiteSpace(d.Attribute.Summary), $"[Plugin(\"{d.Name}\")] needs a one-line Summary");
        var options = d.OptionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.DeclaringType == d.OptionsType).ToList();
        if (options.Count == 0) return;
        var xml = Path.ChangeExtension(d.AssemblyPath, ".xml");
        Expect.That(File.Exists(xml), $"{Path.GetFileName(xml)} is missing beside the assembly: set <GenerateDocumentationFile>true</GenerateDocumentationFile> (plugins ship their XML docs for `replab plugins`)");
        var documented = XDocument.Load(xml).Descendants("member").Select(m => (string?)m.Attribute("name")).ToHashSet();
        // Documentation ids write a nested type's '+' as '.' (OptionsDescriber reads them the same way).
        var missing = options.Where(p => !documented.Contains($"P:{d.OptionsType.FullName!.Replace('+', '.')}.{p.Name}")).Select(p => p.Name).ToList();
        Expect.That(missing.Count == 0, $"option {string.Join(", ", missing)} of {d.OptionsType.Name} needs a /// <summary> doc comment (meaning, unit, default)");
    }

    /// <summary>Every top-level option written at its default, as a user copies it from <c>replab plugins</c>, binds back to the default; left out, it takes the default.</summary>
    public static void Yaml(PluginDescriptor d)
    {
        var defaults = Activator.CreateInstance(d.OptionsType)!;
        var rows = OptionsDescriber.Describe(d.OptionsType).Where(r => !r.Key.Contains('.') && r.Default is not ("" or "null")).ToList();
        var yaml = $"plugin: {d.Name}\n" + string.Join("", rows.Select(r => $"{r.Key}: {(r.Default.StartsWith('[') ? r.Default : Quote(r.Default))}\n"));
        var bound = Bind(d, yaml);
        var empty = Bind(d, $"plugin: {d.Name}\n");
        foreach (var (property, key) in OptionNames.Properties(d.OptionsType))
        {
            var want = OptionsBinder.FormatValue(property.GetValue(defaults));
            var got = OptionsBinder.FormatValue(property.GetValue(bound));
            Expect.That(got == want, $"{key} written at its default ({want}) binds to {got}");
            got = OptionsBinder.FormatValue(property.GetValue(empty));
            Expect.That(got == want, $"{key} left out binds to {got}, not its default {want}");
        }
    }

    private static object Bind(PluginDescriptor d, string yaml)
    {
        try
        {
            return PluginSubtree.BindOptions(d.OptionsType, ConfigYaml.Parse(yaml, "conformance.yaml"), d.Kind.Yaml());
        }
        catch (ConfigException e)
        {
            throw new ConformanceException($"the defaults written as YAML do not bind: {e.Message}\n{yaml}");
        }
    }

    private static string Quote(string s) =>
        double.TryParse(s, CultureInfo.InvariantCulture, out _) || s is "true" or "false" ? s : $"\"{s}\"";
}
