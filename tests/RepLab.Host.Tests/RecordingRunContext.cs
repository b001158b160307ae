using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Tests;

/// <summary>A run context for plugin tests: CPU, a fixed seed, and every logged value recorded.</summary>
public sealed class RecordingRunContext : IRunContext
{
    public Dictionary<string, double> Logged { get; } = [];

    public Device Device => Device.CPU;

    public ulong Seed => 0;

    public long GlobalStep => 0;

    public int Epoch => 0;

    public void Log(string key, double value) => Logged[key] = value;

    public void LogLoss(string key, Tensor value) => Logged[key] = value.item();

    public void SaveArtifact(string relativePath, ReadOnlySpan<byte> content) { }

    public CancellationToken Stopping => CancellationToken.None;
}
