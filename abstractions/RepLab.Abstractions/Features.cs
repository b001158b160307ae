using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>Shared plumbing for evaluators: features of a frozen encoder, computed once.</summary>
public static class Features
{
    /// <summary>
    /// Runs <paramref name="encoder"/> in eval mode without gradient over every image of
    /// <paramref name="set"/> (scaled to [0, 1]) and returns float features [N, F] on
    /// <paramref name="device"/>. Every submodule's training mode is restored exactly afterwards.
    /// </summary>
    public static Tensor Extract(EncoderModule encoder, ImageSet set, Device device, int batchSize = 512)
    {
        using var modes = ModuleModes.Eval(encoder);
        using var ng = torch.no_grad();
        var parts = new List<Tensor>();
        for (long start = 0; start < set.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            var x = set.Images.slice(0, start, Math.Min(start + batchSize, set.Count)).to(device, ScalarType.Float32) / 255.0;
            parts.Add(encoder.forward(x).MoveToOuterScope());
        }
        var all = torch.cat(parts);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>Features of a float batch in [0, 1] under <paramref name="encoder"/> in eval mode, without gradient; modes restored (an online probe's input).</summary>
    public static Tensor Of(EncoderModule encoder, Tensor batch)
    {
        using var modes = ModuleModes.Eval(encoder);
        using var ng = torch.no_grad();
        return encoder.forward(batch);
    }
}
