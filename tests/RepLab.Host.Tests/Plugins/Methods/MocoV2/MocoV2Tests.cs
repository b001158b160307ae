using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.MocoV2;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins.Methods.MocoV2;

public class MocoV2Tests
{
    [Fact]
    public void The_queue_replaces_its_oldest_keys_first_and_wraps_around()
    {
        using var scope = torch.NewDisposeScope();
        using var queue = new KeyQueue(5, 1);
        Tensor Batch(params double[] v) => torch.tensor(v, v.Length, 1).to(ScalarType.Float32);
        queue.Enqueue(Batch(1, 2));
        queue.Pointer.Should().Be(2);
        queue.Enqueue(Batch(3, 4));
        queue.Enqueue(Batch(5, 6));
        queue.Pointer.Should().Be(1);
        queue.Keys.flatten().data<float>().Should().Equal([6f, 2, 3, 4, 5], "key 6 overwrote the oldest, key 1");
        queue.Enqueue(Batch(7, 8, 9, 10, 11, 12, 13));
        queue.Keys.flatten().data<float>().Should().Equal([13f, 9, 10, 11, 12], "a batch larger than the queue keeps its newest 5 keys, written from the pointer on");
        queue.Pointer.Should().Be(1);
    }

    [Fact]
    public void The_key_network_moves_towards_the_query_network_by_the_momentum()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var method = MethodKit.Build(new MocoV2Method(new MocoV2Options { QueueSize = 32, HiddenDim = 16, OutputDim = 8, Momentum = 0.9 }));
        var encoder = method.Modules["encoder"];
        var keyEncoder = method.Modules["key-encoder"];
        // Make the query network differ from the key network so the update shows.
        using (torch.no_grad())
            foreach (var p in encoder.parameters()) p.add_(0.5);
        var q0 = encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());
        var k0 = keyEncoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());
        var x = torch.rand([8, 1, 28, 28]);
        method.Step(new TrainBatch([x, x.flip(3)], x, null, torch.arange(8), [null, null]), new RecordingRunContext());
        foreach (var (name, k) in keyEncoder.named_parameters())
            k.allclose(k0[name] * 0.9 + q0[name] * 0.1, 1e-6, 1e-6).Should().BeTrue($"{name} = m k + (1 - m) q");
        keyEncoder.parameters().Should().OnlyContain(p => !p.requires_grad, "the key encoder has no gradient");
        method.Queue.Pointer.Should().Be(8, "the step's keys were enqueued");
        method.Optimizers["all"].param_groups.SelectMany(g => g.Params).Should().NotContain(p => keyEncoder.parameters().Contains(p));
    }
}
