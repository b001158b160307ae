using RepLab.Abstractions;
using RepLab.Host.Experiment;
using RepLab.Torch;
using RepLab.Tracking;

namespace RepLab.Host.Run;

/// <summary>
/// The datasets a run logs (MLflow's dataset inputs): the pretraining set as <see cref="DatasetInput.Training"/>,
/// the evaluators' fit and score sets as <see cref="DatasetInput.Evaluation"/>, each described from its
/// images and labels, with the files the dataset plugin read it from (<see cref="IDataset.SourceOf"/>).
/// </summary>
internal static class RunDatasets
{
    /// <summary>The pretraining set, loaded from <c>data.pretrain-splits</c>.</summary>
    public static IEnumerable<DatasetInput> Training(ImageSet set, ExperimentSpec spec) =>
        [Describe(set, spec.Dataset, spec.Data.PretrainSplits, DatasetInput.Training)];

    /// <summary>The probe and test sets, but a set that is the pretraining set (logged as training) or the other one.</summary>
    public static IEnumerable<DatasetInput> Evaluation(EvaluationSets sets, ImageSet training, ExperimentSpec spec)
    {
        var data = spec.Data;
        if (!ReferenceEquals(sets.Probe, training)) yield return Describe(sets.Probe, spec.Dataset, [data.ProbeSplit], DatasetInput.Evaluation);
        // Without a test split the evaluators score on the probe set (DataPlan.Evaluation).
        if (!ReferenceEquals(sets.Test, sets.Probe) && !ReferenceEquals(sets.Test, training))
            yield return Describe(sets.Test, spec.Dataset, [data.TestSplit], DatasetInput.Evaluation);
    }

    /// <summary>The input of <paramref name="set"/>, loaded from <paramref name="splits"/> of <paramref name="dataset"/>, for <paramref name="context"/>.</summary>
    internal static DatasetInput Describe(ImageSet set, PluginChoice dataset, IReadOnlyList<string> splits, string context)
    {
        var described = new TensorDataset(set.Name, set.Images.shape, "uint8", sizeof(byte), set.Labels?.data<long>(), set.Classes, set.ClassNames);
        var digest = DatasetDescriber.Digest(described, Pieces(set.Images));
        var files = splits.SelectMany(split => dataset.As<IDataset>().SourceOf(split)).ToList();
        // Generated data: the plugin and splits say what made it (MLflow's code source).
        var code = new Dictionary<string, string> { ["replab.dataset"] = dataset.Descriptor.Name, ["replab.splits"] = string.Join(",", splits) };
        return DatasetDescriber.Describe(described, digest, files, code, context);
    }

    /// <summary>The images' bytes in pieces of at most 64 MB, through one buffer: a large set (STL-10's unlabeled split, 2.8 GB) exceeds one array.</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> Pieces(Tensor images)
    {
        var n = images.size(0);
        var perImage = n == 0 ? 0 : images.numel() / n;
        var batch = Math.Max(1, (64L << 20) / Math.Max(1, perImage));
        var buffer = new byte[Math.Min(batch, n) * perImage];
        for (long i = 0; i < n; i += batch)
        {
            var k = Math.Min(batch, n - i);
            var piece = buffer.AsMemory(0, (int)(k * perImage));
            using (var slice = images.slice(0, i, i + k)) slice.CopyTo(piece.Span);
            yield return piece;
        }
    }
}
