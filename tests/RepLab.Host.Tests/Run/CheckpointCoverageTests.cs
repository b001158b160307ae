using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Host.Run;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Run;

public class CheckpointCoverageTests : CliHarness
{
    public CheckpointCoverageTests() : base("replab-coverage-") { }

    public static TheoryData<string> Methods() => [.. Repo.AllPlugins.Catalog.Plugins.Where(p => p.Kind == PluginKind.Method).Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(Methods))]
    public void Every_built_in_and_fixture_method_keeps_all_its_state_in_its_checkpoint(string name)
    {
        using var scope = torch.NewDisposeScope();
        var method = Repo.AllPlugins.Create<IMethod>(name);
        var shape = new ImageShape(3, 32, 32);
        var encoders = new EncoderFactory(Repo.AllPlugins.Create<IEncoder>(name == "dcgan" ? "dcgan-discriminator" : "conv-small"), shape, null, Device.CPU);
        var plan = new TrainingPlan(2, 4, 8, 16);
        method.Build(new MethodSetup(encoders.Build(), encoders, shape, 10, Device.CPU, plan, OptimizerFactory.Defaults(name, method.Needs, plan)));
        try
        {
            CheckpointCoverage.Problem(method, name).Should().BeNull();
            method.Modules.Should().NotBeEmpty();
        }
        finally
        {
            foreach (var m in method.Modules.Values) m.Dispose();
        }
    }

    [Fact]
    public void A_method_that_keeps_a_module_out_of_its_checkpoint_is_refused_when_built_naming_the_field()
    {
        var path = Path.Combine(Dir, "hidden.yaml");
        File.WriteAllText(path, $$"""
            name: hidden
            plugins: [{{Repo.Fixture("GuardHiddenModule")}}]
            dataset: { plugin: synthetic, train-size: 32, test-size: 16 }
            encoder: { plugin: conv-small, features: 8 }
            method: { plugin: hidden-module-fixture }
            trainer: { epochs: 1, batch-size: 16, threads: 1 }
            """);
        var (code, _, stderr) = Cli("run", path, "--runs-dir", Path.Combine(Dir, "runs"));
        code.Should().Be(2, stderr);
        stderr.Should().Contain("hidden.yaml:5:").And.Contain("method 'hidden-module-fixture' (HiddenModuleMethod) holds module field 'projector' (Linear)")
            .And.Contain("not in any checkpointed module").And.Contain("add it to Modules").And.NotContain("internal error");
    }

    private sealed class Holder
    {
        public nn.Linear Saved { get; } = new(2, 2);
        public List<Module> Parts { get; } = [new nn.Linear(2, 2)];
    }

    [Fact]
    public void Module_fields_are_found_in_auto_properties_and_lists_by_their_names()
    {
        var held = CheckpointCoverage.HeldModules(new Holder()).ToList();
        held.Select(h => h.Field).Should().Equal("Saved", "Parts[0]");
        foreach (var (_, m) in held) m.Dispose();
    }

    /// <summary>A method whose optimizer updates a layer it neither keeps in a field nor checkpoints.</summary>
    private sealed class DroppedLayerMethod : IMethod
    {
        private readonly nn.Linear kept = new(2, 2);

        public DroppedLayerMethod(bool dropOne)
        {
            var dropped = new nn.Linear(2, 2);
            var parameters = dropOne ? kept.parameters().Concat(dropped.parameters()) : kept.parameters();
            Optimizers = new Dictionary<string, optim.Optimizer> { ["all"] = new optim.SGD(parameters, lr: 0.1) };
        }

        public MethodNeeds Needs => new();

        public void Build(MethodSetup setup) { }

        public void Step(TrainBatch batch, IRunContext context) { }

        public EncoderModule Representation => throw new NotSupportedException();

        public IReadOnlyDictionary<string, Module> Modules => new Dictionary<string, Module> { ["kept"] = kept };

        public IReadOnlyDictionary<string, optim.Optimizer> Optimizers { get; }
    }

    [Fact]
    public void An_optimizer_updating_parameters_no_checkpointed_module_holds_is_named_with_its_group_and_count()
    {
        using var scope = torch.NewDisposeScope();
        CheckpointCoverage.Problem(new DroppedLayerMethod(dropOne: false), "dropped").Should().BeNull();
        CheckpointCoverage.Problem(new DroppedLayerMethod(dropOne: true), "dropped").Should()
            .StartWith("method 'dropped' (DroppedLayerMethod) has optimizer group 'all' updating 2 parameter(s) that are in no checkpointed module");
    }
}
