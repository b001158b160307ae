namespace RepLab.Config;

/// <summary>
/// Reads an experiment file into one resolved tree: its <c>defaults:</c> files (recursively, merged in order, the file
/// itself last), then the command-line overrides, then <c>${...}</c> interpolation.
/// </summary>
public static class ExperimentLoader
{
    /// <summary>The top-level key that lists the files an experiment builds on.</summary>
    public const string DefaultsKey = "defaults";

    /// <summary>Loads, composes, overrides and interpolates an experiment.</summary>
    /// <param name="path">The experiment file.</param>
    /// <param name="overrides">Command-line overrides: <c>a.b=value</c>, <c>+a.new=value</c>, <c>~a.b</c>.</param>
    /// <exception cref="ConfigException">For any problem in the files or overrides; the message names file, line, column and key path.</exception>
    public static ResolvedConfig Load(string path, IReadOnlyList<string>? overrides = null) => Load(path, overrides, []);

    /// <summary>
    /// Loads an experiment with command-line overrides, then <paramref name="parsed"/> overrides whose values keep
    /// their own locations (a sweep's trial: an error in its value names the sweep file's line).
    /// </summary>
    public static ResolvedConfig Load(string path, IReadOnlyList<string>? overrides, IReadOnlyList<ConfigOverride> parsed)
    {
        var sources = new List<string>();
        long bytesLeft = ConfigLimits.MaxSourceBytes;
        var composed = Compose(Path.GetFullPath(path), [], null, sources, ref bytesLeft);
        return Resolve(composed, overrides ?? [], sources, parsed);
    }

    /// <summary>Resolves a tree that did not come from a file (no <c>defaults:</c> handling).</summary>
    public static ResolvedConfig FromTree(ConfigMap root, IReadOnlyList<string>? overrides = null) =>
        Resolve((ConfigMap)ConfigMerge.StripNulls(root), overrides ?? [], []);

    private static ResolvedConfig Resolve(ConfigMap composed, IReadOnlyList<string> overrides, List<string> sources, IReadOnlyList<ConfigOverride>? extra = null)
    {
        var parsed = new List<ConfigOverride>();
        var errors = new List<ConfigError>();
        for (var i = 0; i < overrides.Count; i++)
        {
            try
            {
                parsed.Add(ConfigOverride.Parse(overrides[i], i));
            }
            catch (ConfigException e)
            {
                errors.AddRange(e.Errors);
            }
        }
        if (errors.Count > 0)
            throw new ConfigException(errors);
        var overridden = ConfigOverride.ApplyAll(composed, parsed.Concat(extra ?? []));
        var resolved = (ConfigMap)Interpolator.Resolve(overridden);
        return new ResolvedConfig(resolved, sources);
    }

    private static ConfigMap Compose(string fullPath, List<string> chain, ConfigEntry? referencedBy, List<string> sources, ref long bytesLeft)
    {
        var display = Display(fullPath);
        if (chain.Contains(fullPath))
        {
            var cycle = chain.Skip(chain.IndexOf(fullPath)).Append(fullPath).Select(Display);
            throw ConfigException.At(referencedBy!.Value.Location, referencedBy.Key,
                $"cyclic defaults: {string.Join(" -> ", cycle)}; expected files that do not include themselves");
        }
        if (!File.Exists(fullPath))
        {
            if (referencedBy is null)
                throw ConfigException.At(new SourceLocation(display, 0, 0), "", "experiment file not found; expected an existing YAML file");
            var directory = Path.GetDirectoryName(fullPath)!;
            var nearby = Directory.Exists(directory)
                ? Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>()
                : [];
            throw ConfigException.At(referencedBy.Value.Location, referencedBy.Key,
                $"defaults file '{((ConfigScalar)referencedBy.Value).Value}' not found (looked for {display})" +
                DidYouMean.Hint(Path.GetFileName(fullPath), nearby) + "; expected a path relative to the file that names it");
        }
        sources.Add(fullPath);
        var node = Read(fullPath, display, ref bytesLeft);
        if (node is not ConfigMap map)
            throw ConfigException.At(node.Location, "", $"the file holds {node.Describe()}; expected a map of settings at the top level");

        var defaultsEntry = map.Find(DefaultsKey);
        ConfigNode composed = new ConfigMap([], map.Location);
        if (defaultsEntry is not null)
        {
            chain.Add(fullPath);
            var directory = Path.GetDirectoryName(fullPath)!;
            foreach (var reference in DefaultsList(defaultsEntry))
            {
                var target = Path.GetFullPath(Path.Combine(directory, ((ConfigScalar)reference.Value).Value));
                composed = ConfigMerge.Merge(composed, Compose(target, chain, reference, sources, ref bytesLeft));
            }
            chain.RemoveAt(chain.Count - 1);
        }
        var own = new ConfigMap(map.Entries.Where(e => e.Key != DefaultsKey), map.Location);
        return (ConfigMap)ConfigMerge.Merge(composed, own);
    }

    /// <summary>
    /// Parses a file within the bytes the experiment has left (<see cref="ConfigLimits.MaxSourceBytes"/>); of a longer
    /// file no more than that is read, and the error names the value or the place where it passes the limit.
    /// </summary>
    private static ConfigNode Read(string fullPath, string display, ref long bytesLeft)
    {
        byte[] bytes;
        int read;
        using (var stream = File.OpenRead(fullPath))
        {
            bytes = new byte[Math.Min(bytesLeft, stream.Length) + 1];
            read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        }
        var kept = (int)Math.Min(read, bytesLeft);
        bytesLeft -= kept;
        // As File.ReadAllText reads: UTF-8 unless a byte order mark says otherwise.
        using var reader = new StreamReader(new MemoryStream(bytes, 0, kept), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var text = reader.ReadToEnd();
        if (read == kept)
            return ConfigYaml.Parse(text, display);
        throw ConfigYaml.Cut(text, display,
            $"the experiment's YAML passes {ConfigLimits.MaxSourceBytes / (1 << 20)} MiB ({ConfigLimits.MaxSourceBytes:N0} bytes) here, the most an " +
            "experiment file and its defaults files may hold together (a defaults file counts each time it is included); expected files of a few KB");
    }

    private static IEnumerable<ConfigEntry> DefaultsList(ConfigEntry defaults)
    {
        const string expected = "expected a file path or a list of file paths";
        var items = defaults.Value switch
        {
            ConfigList list => list.Items.Select((item, i) => (item, path: KeyPath.Append(DefaultsKey, i))).ToArray(),
            ConfigNull => [],
            _ => [(defaults.Value, DefaultsKey)],
        };
        foreach (var (item, path) in items)
        {
            if (item is not ConfigScalar { Value.Length: > 0 } scalar)
                throw ConfigException.At(item.Location, path, $"got {item.Describe()}; {expected}");
            yield return new ConfigEntry(path, scalar.Location, scalar);
        }
    }

    /// <summary>Paths under the working directory are shown relative to it (shorter messages); others in full.</summary>
    internal static string Display(string fullPath)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, fullPath);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? fullPath : relative;
    }
}
