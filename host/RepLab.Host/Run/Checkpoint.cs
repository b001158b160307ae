using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Run;

/// <summary>
/// One safetensors file per checkpoint holding every module (<c>module.NAME.KEY</c>), every
/// optimizer's state by group name (<c>optim.GROUP.state...</c>, its step count, hence its
/// schedule's position, in the metadata), the global generators' states (CPU, and each CUDA device
/// when present) and the training position; written atomically, so a crash or kill mid-write
/// leaves the previous checkpoint.
/// </summary>
internal static class Checkpoint
{
    /// <summary>
    /// The version of how views are drawn: the per-view seeds (<see cref="Runner.ViewSeed"/>) and the
    /// built-in augmentations' per-sample draws. Bump it when either changes: a checkpoint of another
    /// version still resumes, with a warning that its views differ from the uninterrupted run's.
    /// </summary>
    internal const int ViewStreams = 2;

    /// <summary>
    /// The checkpoint layout. 2: learning-rate schedules follow each optimizer's step count (format 1
    /// kept per-epoch schedule positions, which a resumed run now ignores, with a warning).
    /// </summary>
    internal const string Format = "replab-checkpoint-2";

    /// <param name="rankGenerators">In a data-parallel run, every rank's CPU generator state in rank order (<c>rng.torch.rank.R</c>); null with one process.</param>
    public static void Save(string path, IReadOnlyDictionary<string, Module> modules, IReadOnlyDictionary<string, optim.Optimizer> optimizers,
        TrainingPosition position, IReadOnlyList<Tensor>? rankGenerators = null)
    {
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>();
        var meta = new Dictionary<string, string>
        {
            ["epoch"] = position.Epoch.ToString(),
            ["step_in_epoch"] = position.StepInEpoch.ToString(),
            ["global_step"] = position.GlobalStep.ToString(),
            ["format"] = Format,
            ["view_streams"] = ViewStreams.ToString(),
        };
        foreach (var (name, m) in modules)
            foreach (var (k, t) in m.state_dict()) tensors[$"module.{name}.{k}"] = t;
        foreach (var (group, o) in optimizers)
        {
            var (ot, om) = o.state_dict();
            foreach (var (k, t) in ot) tensors[$"optim.{group}.{k}"] = t;
            foreach (var (k, v) in om) meta[$"optim.{group}.{k}"] = v;
        }
        tensors["rng.torch"] = torch.get_rng_state();
        for (var r = 0; r < (rankGenerators?.Count ?? 0); r++) tensors[$"rng.torch.rank.{r}"] = rankGenerators![r];
        for (var i = 0; i < torch.cuda.device_count(); i++) tensors[$"rng.cuda.{i}"] = torch.cuda.get_rng_state(i);
        foreach (var (k, t) in tensors) meta[$"crc32.{k}"] = Checksum(t);
        Safetensors.Save(path, tensors, meta);
    }

    /// <summary>CRC-32 of a tensor's bytes, as 8 hex digits.</summary>
    private static string Checksum(Tensor t)
    {
        using var cpu = t.detach().to(Device.CPU).contiguous();
        return Images.Crc32(cpu.bytes()).ToString("x8");
    }

    /// <summary>
    /// Restores modules, optimizers and generators from <paramref name="path"/> and returns the position to continue from.
    /// Every tensor is checked against its recorded checksum and, for modules, the model's dtype and shape; the position
    /// against <paramref name="plan"/>. A damaged or foreign checkpoint is refused with the file's name before anything is restored.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint is damaged, of another experiment, or claims a position outside the plan.</exception>
    /// <param name="rank">This process's rank: it takes its own generator state (<c>rng.torch.rank.R</c>) when the checkpoint has one.</param>
    public static TrainingPosition Load(string path, IReadOnlyDictionary<string, Module> modules, IReadOnlyDictionary<string, optim.Optimizer> optimizers,
        TrainingPlan? plan = null, int rank = 0)
    {
        const string Advice = "delete it (or run without --resume) to start over";
        Dictionary<string, Tensor> tensors;
        Dictionary<string, string> meta;
        DataFile.RequireRegular(path, "checkpoint");
        try
        {
            (tensors, meta) = Safetensors.Load(path);
        }
        catch (Exception e) when (e is not InvalidDataException and not FileNotFoundException)
        {
            throw new InvalidDataException($"{path}: not a readable checkpoint ({e.Message}); {Advice}");
        }
        try
        {
            var position = Position(path, meta, plan);
            if (meta.GetValueOrDefault("format") == Format)
                foreach (var (k, t) in tensors)
                    if (!meta.TryGetValue($"crc32.{k}", out var crc) || crc != Checksum(t))
                        throw new InvalidDataException($"{path}: tensor '{k}' {(crc is null ? "has no checksum" : "fails its checksum")}: the file is damaged; {Advice}");
            foreach (var (name, m) in modules)
                foreach (var (k, own) in m.state_dict())
                    if (tensors.TryGetValue($"module.{name}.{k}", out var saved) && saved.dtype != own.dtype)
                        throw new InvalidDataException($"{path}: module.{name}.{k} is {saved.dtype} in the checkpoint but {own.dtype} in the model; {Advice}");
            foreach (var (name, m) in modules)
            {
                var prefix = $"module.{name}.";
                m.load_state_dict(tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                    .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value));
            }
            foreach (var (group, o) in optimizers)
            {
                var prefix = $"optim.{group}.";
                o.load_state_dict(
                    tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value),
                    meta.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value));
            }
            torch.set_rng_state(tensors.TryGetValue($"rng.torch.rank.{rank}", out var mine) ? mine : tensors["rng.torch"]);
            for (var i = 0; i < torch.cuda.device_count(); i++)
                if (tensors.TryGetValue($"rng.cuda.{i}", out var cuda)) torch.cuda.set_rng_state(cuda, i);
            if (meta.GetValueOrDefault("format") != Format && meta.Keys.Any(k => k.StartsWith("schedule.", StringComparison.Ordinal)))
                Console.Error.WriteLine($"replab: warning: {path} was written by a RepLab that stepped learning-rate schedules per epoch: " +
                    "the resumed run follows the schedule per optimizer step from each optimizer's step count");
            if (!meta.TryGetValue("view_streams", out var streams) || streams != ViewStreams.ToString())
                Console.Error.WriteLine($"replab: warning: {path} was written by a RepLab that drew augmented views differently " +
                    $"(view streams {streams ?? "1"}, now {ViewStreams}): the resumed run goes on with different views than an uninterrupted one would");
            return position;
        }
        catch (Exception e) when (e is KeyNotFoundException or StateDictException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a checkpoint of this experiment ({e.Message}); {Advice}");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>The recorded position, each value parsed and range-checked against the plan.</summary>
    private static TrainingPosition Position(string path, IReadOnlyDictionary<string, string> meta, TrainingPlan? plan)
    {
        long Read(string key, long max)
        {
            if (!meta.TryGetValue(key, out var text) || !long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) || v > max)
                throw new InvalidDataException($"{path}: '{key}' is '{text ?? "missing"}', not a position in this run (0..{max}); delete it (or run without --resume) to start over");
            return v;
        }
        var epoch = Read("epoch", plan?.Epochs ?? int.MaxValue);
        var inEpoch = Read("step_in_epoch", plan is null ? int.MaxValue : Math.Max(plan.StepsPerEpoch - 1, 0));
        var step = Read("global_step", plan?.TotalSteps ?? long.MaxValue);
        return new TrainingPosition((int)epoch, (int)inEpoch, step);
    }
}
