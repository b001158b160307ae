using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Host.Conformance;

/// <summary>A run context for exercising a plugin alone (a plugin's unit tests, the conformance checks): records the last value of every key logged; nothing is saved.</summary>
public sealed class RecordingRunContext : IRunContext
{
    public Dictionary<string, double> Logged { get; } = [];

    public Device Device => Device.CPU;

    public ulong Seed => 0;

    public TrainingPlan Plan { get; init; } = new(1, 4, 4, 16);

    public bool IsRecordingStep => true;

    public long GlobalStep { get; set; }

    public int Epoch => 0;

    public void Log(string key, double value) => Logged[key] = value;

    public void LogLoss(string key, Tensor value) => Logged[key] = value.item();

    public void SaveArtifact(string relativePath, ReadOnlySpan<byte> content) { }

    public CancellationToken Stopping => CancellationToken.None;
}
