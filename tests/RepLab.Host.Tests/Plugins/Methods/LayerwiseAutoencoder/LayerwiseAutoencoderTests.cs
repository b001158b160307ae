using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.LayerwiseAutoencoder;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.LayerwiseAutoencoder;

public class LayerwiseAutoencoderTests
{
    private static Dictionary<string, Tensor> State(Module m) => m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    private static bool Same(Module m, Dictionary<string, Tensor> before) => m.state_dict().All(kv => kv.Value.equal(before[kv.Key]));

    [Fact]
    public void Each_phase_trains_its_stage_alone_with_the_earlier_ones_frozen_then_the_whole_stack()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new LayerwiseAutoencoderMethod(new LayerwiseAutoencoderOptions { StageEpochs = 1 }));  // 4 steps an epoch
        var stages = ((EncoderModule)method.Modules["encoder"]).Stages;
        var context = new RecordingRunContext();
        var x = torch.rand([8, 1, 28, 28]);
        void Steps(long from, long to)
        {
            for (var s = from; s < to; s++)
            {
                using var step = torch.NewDisposeScope();
                context.GlobalStep = s;
                method.Step(new TrainBatch([], x, null, torch.arange(8), []), context);
            }
        }
        Steps(0, 4);
        context.Logged["phase"].Should().Be(1);
        var (s1, s2, s3) = (State(stages[0].Module), State(stages[1].Module), State(stages[2].Module));
        Steps(4, 8);
        context.Logged["phase"].Should().Be(2);
        context.Logged.Should().ContainKey("loss/stage2");
        Same(stages[0].Module, s1).Should().BeTrue("stage 1 is frozen while stage 2 trains: weights and batch-norm statistics");
        stages[0].Module.training.Should().BeFalse("a frozen stage is in eval mode");
        Same(stages[1].Module, s2).Should().BeFalse("stage 2 trains");
        Same(stages[2].Module, s3).Should().BeTrue("stage 3 waits for its phase");
        Steps(16, 18);
        context.Logged["phase"].Should().Be(stages.Count + 1, "after every stage, the stack trains end to end");
        context.Logged.Should().ContainKey("loss/end-to-end");
        Same(stages[0].Module, s1).Should().BeFalse("end to end, every stage trains");
        stages.Should().OnlyContain(s => s.Module.training);
    }

    [Fact]
    public void The_phase_follows_the_global_step_so_a_resumed_run_reenters_it()
    {
        using var scope = torch.NewDisposeScope();
        var method = MethodKit.Build(new LayerwiseAutoencoderMethod(new LayerwiseAutoencoderOptions { StageEpochs = 0.5, FineTune = false }));
        // 2 steps a stage, four stages, then (no end-to-end phase) the last stage goes on.
        new long[] { 0, 1, 2, 3, 7, 8, 100 }.Select(method.PhaseAt).Should().Equal(0, 0, 1, 1, 3, 3, 3);
    }
}
