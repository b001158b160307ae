namespace RepLab.Host.Conformance;

/// <summary>One conformance case: a check (<see cref="PluginChecks.Checks"/>) of one plugin ("method/simclr"), or of an assembly that did not load.</summary>
public sealed record ConformanceCase(string Plugin, string Check)
{
    public override string ToString() => $"{Plugin}: {Check}";
}

/// <summary>How one case ended: <see cref="Reason"/> says what failed (null when it passed); <see cref="Error"/> is the exception a plugin threw, if any.</summary>
public sealed record ConformanceResult(string Plugin, string Check, bool Passed, string? Reason, TimeSpan Duration, Exception? Error = null);

/// <summary>A conformance expectation that did not hold; its message is the reason.</summary>
internal sealed class ConformanceException(string message) : Exception(message);

/// <summary>The checks' one assertion.</summary>
internal static class Expect
{
    /// <summary>Fails the case with <paramref name="reason"/> unless <paramref name="condition"/> holds.</summary>
    public static void That(bool condition, string reason)
    {
        if (!condition) throw new ConformanceException(reason);
    }

    /// <summary>A number that changes when any parameter, buffer or gradient of <paramref name="module"/> does (missing and zero gradients differ).</summary>
    public static double Fingerprint(RepLab.Torch.Module module)
    {
        using var scope = RepLab.Torch.torch.NewDisposeScope();
        using var ng = RepLab.Torch.torch.no_grad();
        var total = 0.0;
        var i = 1;
        foreach (var (_, t) in module.state_dict())
            total += t.to(RepLab.Torch.ScalarType.Float64).abs().sum().item() * i++;
        foreach (var p in module.parameters())
        {
            using var g = p.grad;
            total += (g is null ? -1 : g.to(RepLab.Torch.ScalarType.Float64).abs().sum().item() + 1) * i++;
        }
        return total;
    }
}
