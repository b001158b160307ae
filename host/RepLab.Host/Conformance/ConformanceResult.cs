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
}
