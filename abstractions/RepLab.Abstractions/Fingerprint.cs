using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>A number that changes when any parameter, buffer or gradient of a module does: an evaluator's proof that it left a frozen encoder untouched.</summary>
public static class Fingerprint
{
    /// <summary>A weighted sum over every parameter, buffer and gradient of <paramref name="module"/> (a missing gradient counts differently from a zero one).</summary>
    public static double Of(Module module)
    {
        using var scope = torch.NewDisposeScope();
        using var ng = torch.no_grad();
        var total = 0.0;
        var i = 1;
        foreach (var (_, t) in module.state_dict())
            total += t.to(ScalarType.Float64).abs().sum().item() * i++;
        foreach (var p in module.parameters())
        {
            using var g = p.grad;
            total += (g is null ? -1 : g.to(ScalarType.Float64).abs().sum().item() + 1) * i++;
        }
        return total;
    }
}
