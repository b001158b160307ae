namespace RepLab.Host.Run;

/// <summary>
/// Independent random streams derived from the run seed: each epoch's shuffle and each step's view
/// augmentations get their own generator, so the batches depend on the seed and the position alone
/// and a resumed run needs no loader state.
/// </summary>
internal static class SeedStreams
{
    /// <summary>SplitMix64 of the seed and a stream id.</summary>
    public static ulong Mix(ulong seed, ulong stream)
    {
        var z = seed + 0x9E3779B97F4A7C15UL * (stream + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The seed of epoch <paramref name="epoch"/>'s shuffle.</summary>
    public static ulong Shuffle(ulong seed, int epoch) => Mix(seed, (ulong)epoch);

    /// <summary>The seed of view <paramref name="view"/>'s augmentation generator at <paramref name="step"/>.</summary>
    public static ulong View(ulong seed, long step, int view) => Mix(Mix(seed, (1UL << 40) + (ulong)step), (ulong)view);
}
