using RepLab.Abstractions;
using RepLab.Torch;
using RepLab.Tracking;

namespace RepLab.Host.Run;

/// <summary>What a finished run leaves: evaluation.json, the representation's weights and the last checkpoint, each logged as an artifact.</summary>
internal static class RunPublisher
{
    public static void Publish(RunSession session, EncoderModule representation, IReadOnlyDictionary<string, double>? evaluation)
    {
        var records = session.Records;
        if (evaluation is not null)
        {
            records.WriteEvaluation(evaluation);
            session.Artifact(records.EvaluationFile, RunRecords.EvaluationArtifact);
        }
        Directory.CreateDirectory(records.Artifacts);
        using (var scope = torch.NewDisposeScope()) Safetensors.Save(records.EncoderWeights, representation.state_dict());
        session.Artifact(records.EncoderWeights, RunRecords.EncoderArtifact);
        if (File.Exists(records.Checkpoint)) session.Artifact(records.Checkpoint, RunRecords.CheckpointArtifact);
    }
}
