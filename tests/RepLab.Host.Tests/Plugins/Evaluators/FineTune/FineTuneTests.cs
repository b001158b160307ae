using FluentAssertions;
using RepLab.Blocks;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Evaluators.FineTune;

public class FineTuneTests
{
    private static (double Top1, RecordingRunContext Context, EncoderModule Encoder, double Before) Run(double encoderLr)
    {
        var r = Repo.BuiltIns;
        torch.manual_seed(0);
        var train = r.Create<IDataset>("synthetic").Load("train");
        var test = r.Create<IDataset>("synthetic").Load("test");
        var encoder = r.Create<IEncoder>("conv-small").Build(train.Shape);
        var before = Fingerprint.Of(encoder);
        var context = new RecordingRunContext();
        var options = BuiltIn.Options(PluginKind.Evaluator, "fine-tune", ("Epochs", 3), ("BatchSize", 32), ("EncoderLr", encoderLr), ("HeadLr", 3e-3));
        var top1 = r.Create<IEvaluator>("fine-tune", options).Evaluate(encoder, new EvaluationData(train, test), context)["eval/fine-tune/top1"];
        return (top1, context, encoder, before);
    }

    [Fact]
    public void Fine_tuning_logs_the_test_curve_per_epoch_and_leaves_the_encoder_as_it_was()
    {
        using var scope = torch.NewDisposeScope();
        var (top1, context, encoder, before) = Run(1e-3);
        context.Logged.Keys.Where(k => k.StartsWith("eval/fine-tune/epoch-")).Should().Equal("eval/fine-tune/epoch-001/top1", "eval/fine-tune/epoch-002/top1", "eval/fine-tune/epoch-003/top1");
        context.Logged["eval/fine-tune/epoch-003/top1"].Should().Be(top1, "the result is the last epoch's");
        top1.Should().BeGreaterThan(0.6, "four synthetic shape classes are easy once the encoder trains (chance 0.25)");
        context.Logged.Should().ContainKeys("eval/fine-tune/encoder-lr", "eval/fine-tune/head-lr", "eval/fine-tune/labelled-images", "eval/fine-tune/feature-dim");
        Fingerprint.Of(encoder).Should().Be(before, "the evaluated encoder gets its weights, buffers and gradients back");
        encoder.named_modules().Should().OnlyContain(m => m.module.training, "and its modes");
    }

    [Fact]
    public void Training_the_encoder_beats_a_head_on_the_frozen_random_encoder()
    {
        using var scope = torch.NewDisposeScope();
        var (tuned, _, _, _) = Run(1e-3);
        var (frozen, _, _, _) = Run(0);
        tuned.Should().BeGreaterThan(frozen, "encoder-lr 0 trains the head alone");
    }
}
