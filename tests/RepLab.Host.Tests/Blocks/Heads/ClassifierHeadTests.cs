using FluentAssertions;
using RepLab.Blocks;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Blocks.Heads;

/// <summary>The pretext tasks' classifier (RotNet, jigsaw): linear, or linear, batch norm, ReLU, dropout and linear.</summary>
public class ClassifierHeadTests
{
    [Fact]
    public void Without_a_hidden_layer_it_is_linear_and_with_one_it_has_batch_norm_relu_and_dropout()
    {
        using var scope = torch.NewDisposeScope();
        using var linear = ClassifierHead.Create(8, 0, 4);
        linear.state_dict().Keys.Should().BeEquivalentTo("0.weight", "0.bias");
        using var deep = ClassifierHead.Create(8, 16, 4, dropout: 0.5);
        deep.named_children().Select(c => c.module.GetType()).Should().Equal(
            typeof(nn.Linear), typeof(nn.BatchNorm1d), typeof(nn.ReLU), typeof(nn.Dropout), typeof(nn.Linear));
        deep.forward(torch.rand([3, 8])).shape.Should().Equal(3, 4);
    }
}
