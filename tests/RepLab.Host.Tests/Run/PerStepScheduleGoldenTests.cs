using System.Text.Json;
using FluentAssertions;
using RepLab.Host.Experiment;
using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Run;
using RepLab.Torch;
using Xunit;
using Xunit.Sdk;

namespace RepLab.Host.Tests.Run;

/// <summary>
/// The host's schedules, stepped once per optimizer step over a training plan, against PyTorch's
/// LambdaLR (linear warm-up then cosine), CosineAnnealingLR and StepLR stepped per iteration
/// (goldens/schedules_per_step.json, written by make_schedule_goldens.py): the lr every step used.
/// </summary>
public class PerStepScheduleGoldenTests
{
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "goldens", "schedules_per_step.json")))
        .RootElement.GetProperty("cases");

    public static TheoryData<string> Names => new(Cases.EnumerateObject().Select(c => c.Name));

    /// <summary>The case's options as the experiment's <c>optimizer:</c> section (JSON is YAML; snake_case keys are kebab-case ones).</summary>
    private static OptimizerOverrides Options(JsonElement o) =>
        new(ConfigYaml.Parse(o.GetRawText(), "schedules_per_step.json"), new Dictionary<string, ConfigNode>());

    [Theory]
    [MemberData(nameof(Names))]
    public void Lr_at_every_optimizer_step_matches_pytorch(string name)
    {
        using var scope = torch.NewDisposeScope();
        var c = Cases.GetProperty(name);
        var p = c.GetProperty("plan");
        var plan = new TrainingPlan(p.GetProperty("epochs").GetInt32(), p.GetProperty("steps_per_epoch").GetInt32(), p.GetProperty("total_steps").GetInt64(), p.GetProperty("batch_size").GetInt32());
        var needs = new MethodNeeds { OptimizerGroups = new Dictionary<string, OptimizerDefaults> { ["all"] = new(OptimizerKind.Sgd, 1.0) { Momentum = 0 } } };
        var factory = new OptimizerFactory("golden", needs, Options(c.GetProperty("options")), plan);
        var w = torch.zeros(1).requires_grad_();
        using var opt = factory.Create("all", [w]);
        var expected = c.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToList();
        expected.Should().HaveCount((int)plan.TotalSteps);
        for (var step = 0; step < expected.Count; step++)
        {
            w.grad = torch.zeros(1);
            opt.step();
            var got = opt.param_groups[0].lr;
            if (Math.Abs(got - expected[step]) > 1e-12 * Math.Max(Math.Abs(expected[step]), 1e-12))
                throw new XunitException($"{name}: step {step}: lr {got:R}, PyTorch {expected[step]:R}");
        }
    }

    [Fact]
    public void A_resumed_optimizer_continues_its_schedule_from_its_step_count()
    {
        using var scope = torch.NewDisposeScope();
        var plan = new TrainingPlan(2, 5, 10, 256);
        var needs = new MethodNeeds { OptimizerGroups = new Dictionary<string, OptimizerDefaults> { ["all"] = new(OptimizerKind.Sgd, 0.5) { Schedule = ScheduleKind.WarmupCosine, WarmupEpochs = 1 } } };
        OptimizerFactory Factory() => OptimizerFactory.Defaults("golden", needs, plan);
        var (a, b) = (torch.zeros(1).requires_grad_(), torch.zeros(1).requires_grad_());
        using var straight = Factory().Create("all", [a]);
        using var interrupted = Factory().Create("all", [b]);
        for (var i = 0; i < 4; i++) { a.grad = torch.ones(1); straight.step(); b.grad = torch.ones(1); interrupted.step(); }
        var (tensors, meta) = interrupted.state_dict();
        var c = torch.zeros(1).requires_grad_();
        using var resumed = Factory().Create("all", [c]);
        resumed.load_state_dict(tensors, meta);
        a.grad = torch.ones(1);
        straight.step();
        c.grad = torch.ones(1);
        resumed.step();
        resumed.param_groups[0].lr.Should().Be(straight.param_groups[0].lr, "the schedule's position is the optimizer's step count");
    }
}
