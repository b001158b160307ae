using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Blocks;
using Xunit;

namespace RepLab.Host.Tests.Blocks.Optimizers;

/// <summary>The papers' optimizer settings: SimCLR's and BYOL's LARS, MoCo v2's and the pretext tasks' SGD.</summary>
public class OptimizerPresetsTests
{
    [Fact]
    public void Lars_scales_linearly_warms_up_then_decays_on_a_cosine_and_spares_biases_and_norms()
    {
        var lars = OptimizerPresets.LarsWarmupCosine(0.3, 1e-6, 10);
        lars.Should().BeEquivalentTo(new OptimizerDefaults(OptimizerKind.Lars, 0.3)
        {
            WeightDecay = 1e-6, Scaling = LrScaling.Linear, Schedule = ScheduleKind.WarmupCosine, WarmupEpochs = 10, ExcludeBiasAndNorm = true,
        });
    }

    [Fact]
    public void Sgd_has_momentum_0_9_a_cosine_schedule_and_no_scaling_unless_asked()
    {
        var sgd = OptimizerPresets.SgdCosine(0.03, 1e-4);
        sgd.Should().BeEquivalentTo(new OptimizerDefaults(OptimizerKind.Sgd, 0.03) { WeightDecay = 1e-4, Momentum = 0.9, Scaling = LrScaling.None, Schedule = ScheduleKind.Cosine });
        OptimizerPresets.SgdCosine(0.03, 1e-4, LrScaling.Linear).Scaling.Should().Be(LrScaling.Linear);
    }
}
