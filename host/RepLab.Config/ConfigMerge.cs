namespace RepLab.Config;

/// <summary>Layering of configuration trees: maps merge deeply, lists and scalars replace, null removes a key.</summary>
public static class ConfigMerge
{
    /// <summary>Lays <paramref name="over"/> on top of <paramref name="under"/>.</summary>
    /// <returns>The merged tree; a null in a map of either layer leaves the key out.</returns>
    public static ConfigNode Merge(ConfigNode under, ConfigNode over)
    {
        if (under is not ConfigMap underMap || over is not ConfigMap overMap)
            return StripNulls(over);
        var entries = new List<ConfigEntry>();
        foreach (var entry in underMap.Entries)
        {
            var overEntry = overMap.Find(entry.Key);
            if (overEntry is null)
                entries.Add(entry with { Value = StripNulls(entry.Value) });
            else if (overEntry.Value is not ConfigNull)
                entries.Add(overEntry with { Value = Merge(entry.Value, overEntry.Value) });
        }
        foreach (var entry in overMap.Entries)
        {
            if (underMap.Find(entry.Key) is null && entry.Value is not ConfigNull)
                entries.Add(entry with { Value = StripNulls(entry.Value) });
        }
        return new ConfigMap(entries, overMap.Location);
    }

    /// <summary>Removes null-valued keys from every map in the tree (null means "not set").</summary>
    public static ConfigNode StripNulls(ConfigNode node) => node switch
    {
        ConfigMap map => new ConfigMap(
            map.Entries.Where(e => e.Value is not ConfigNull).Select(e => e with { Value = StripNulls(e.Value) }),
            map.Location),
        ConfigList list => new ConfigList(list.Items.Select(StripNulls), list.Location),
        _ => node,
    };
}
