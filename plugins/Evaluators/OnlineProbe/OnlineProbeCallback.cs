using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Torch;

namespace RepLab.Plugins.Evaluators.OnlineProbe;

/// <summary>Options of the <c>online-probe</c> callback.</summary>
public sealed record OnlineProbeOptions : PluginOptions
{
    /// <summary>Adam lr of the probe (its own optimizer, not the method's).</summary>
    [Range(1e-8, 10.0)]
    public double Lr { get; init; } = 1e-3;

    /// <summary>L2 weight decay of the probe.</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; init; } = 1e-5;

    /// <summary>Score the probe on the test split every this many epochs (and after the last).</summary>
    [Range(1, 10_000)]
    public int Every { get; init; } = 1;
}

/// <summary>
/// An online linear probe (as solo-learn trains one): a linear classifier on the representation's
/// detached features of each training batch (the un-augmented images, the representation in eval
/// mode), trained with its own Adam during pretraining on the labels the batch carries (images
/// whose label is held out are ignored). After each epoch it is scored on the test split and logs
/// <c>online-probe/top1</c>, so a run shows how its features improve without stopping. Its head
/// and optimizer are checkpointed with the run. It never changes the method's modules.
/// </summary>
[Plugin("online-probe", Summary = "linear probe trained during pretraining on detached features, scored every epoch", Citation = "da Costa et al. (solo-learn), JMLR 2022")]
public sealed class OnlineProbeCallback(OnlineProbeOptions options) : ITrainingCallback, IStatefulCallback
{
    private nn.Linear? head;
    private optim.Optimizer? optimizer;
    private int classes;

    public bool NeedsEvaluationData => true;

    public IReadOnlyDictionary<string, Module> Modules => head is null ? new Dictionary<string, Module>() : new() { ["head"] = head };

    public IReadOnlyDictionary<string, optim.Optimizer> Optimizers => optimizer is null ? new Dictionary<string, optim.Optimizer>() : new() { ["adam"] = optimizer };

    public void Build(CallbackSetup setup)
    {
        classes = setup.Classes;
        if (classes == 0)
        {
            Console.Error.WriteLine("replab: warning: online-probe: the training images carry no labels (an unlabelled split, or data.train-label-fraction 0): nothing to train on");
            return;
        }
        head = new nn.Linear(setup.Representation.Features, classes, device: setup.Device);
        optimizer = new optim.Adam(head.parameters(), lr: options.Lr, weight_decay: options.WeightDecay);
    }

    public void OnStepEnd(TrainingState state)
    {
        if (head is null || state.Batch?.Labels is not { } labels) return;
        var loss = F.cross_entropy(head.forward(Features.Of(state.Representation, state.Batch.Original)), labels, ignore_index: ImageSet.Unlabelled);
        if (!loss.isfinite().all().item<bool>()) return; // a batch without any labelled image
        optimizer!.zero_grad();
        loss.backward();
        optimizer.step();
        if (state.Context.IsRecordingStep) state.Context.LogLoss("online-probe/loss", loss);
    }

    public void OnEpochEnd(TrainingState state)
    {
        if (head is null || state.Evaluation is null) return;
        var epoch = state.Context.Epoch + 1;
        if (epoch % options.Every != 0 && epoch != state.Plan.Epochs) return;
        using var scope = torch.NewDisposeScope();
        var test = state.Evaluation.Test;
        var labels = test.Labels ?? throw new ArgumentException($"online-probe needs labels on the test split {test.Name}");
        var features = Features.Extract(state.Representation, test, state.Context.Device);
        double top1;
        using (torch.no_grad())
            top1 = head.forward(features).argmax(1).eq(labels.to(state.Context.Device)).to(ScalarType.Float64).mean().item();
        state.Context.Log("online-probe/top1", top1);
    }
}
