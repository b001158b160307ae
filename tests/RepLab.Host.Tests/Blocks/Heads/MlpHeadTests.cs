using FluentAssertions;
using RepLab.Blocks;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Blocks.Heads;

/// <summary>The projector and predictor head of SimCLR, BYOL and MoCo v2: its layers, state keys and copies.</summary>
public class MlpHeadTests
{
    [Fact]
    public void State_keys_follow_the_layers_and_a_linear_before_batch_norm_has_no_bias()
    {
        using var scope = torch.NewDisposeScope();
        using var simclr = new MlpHead(8, 16, 4);
        simclr.state_dict().Keys.Should().BeEquivalentTo(
            "hidden.weight", "hidden-bn.weight", "hidden-bn.bias", "hidden-bn.running_mean", "hidden-bn.running_var",
            "hidden-bn.num_batches_tracked", "output.weight", "output.bias");
        using var moco = new MlpHead(8, 16, 4, hiddenNorm: false);
        moco.state_dict().Keys.Should().BeEquivalentTo("hidden.weight", "hidden.bias", "output.weight", "output.bias");
        using var normed = new MlpHead(8, 16, 4, outputNorm: true);
        normed.state_dict().Keys.Should().Contain("output-bn.weight").And.NotContain("output.bias");
        simclr.OutputDim.Should().Be(4);
        simclr.forward(torch.rand([5, 8])).shape.Should().Equal(5, 4);
    }

    [Fact]
    public void Non_positive_sizes_are_refused()
    {
        var act = () => new MlpHead(8, 0, 4);
        act.Should().Throw<ArgumentException>().WithMessage("*8 -> 0 -> 4*");
    }

    [Fact]
    public void A_frozen_copy_holds_the_same_state_needs_no_gradient_and_is_independent()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        using var head = new MlpHead(8, 16, 4);
        head.forward(torch.rand([6, 8]));   // non-trivial running statistics
        using var copy = head.Copy(frozen: true);
        var (source, copied) = (head.state_dict(), copy.state_dict());
        foreach (var (key, t) in source) copied[key].equal(t).Should().BeTrue(key);
        copy.parameters().Should().OnlyContain(p => !p.requires_grad, "a target head is updated only by its moving average");
        head.parameters().Should().OnlyContain(p => p.requires_grad, "the online head still trains");
        copy.training.Should().BeTrue("the papers' targets use batch statistics");
        using (torch.no_grad()) copied["output.weight"].add_(1);
        source["output.weight"].equal(copied["output.weight"]).Should().BeFalse("the copy owns its tensors");
        using var trainable = head.Copy(frozen: false);
        trainable.parameters().Should().OnlyContain(p => p.requires_grad);
    }
}
