using FluentAssertions;
using RepLab.Config;
using Xunit;

namespace RepLab.Host.Tests.Config;

public sealed class ExperimentLoaderTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static string Value(ResolvedConfig config, string path) => ((ConfigScalar)config.Get(path)!).Value;

    [Fact]
    public void Defaults_merge_in_order_with_the_file_itself_last()
    {
        _files.Write("base/a.yaml", "seed: 1\nname: a\ntrainer: {epochs: 5, lr: 0.1}\n");
        _files.Write("base/b.yaml", "seed: 2\ntrainer: {epochs: 7}\n");
        var main = _files.Write("exp/main.yaml", "defaults: [../base/a.yaml, ../base/b.yaml]\nname: main\n");

        var config = ExperimentLoader.Load(main);

        Value(config, "seed").Should().Be("2");
        Value(config, "name").Should().Be("main");
        Value(config, "trainer.epochs").Should().Be("7");
        Value(config, "trainer.lr").Should().Be("0.1", "maps merge deeply");
        config.Root.Keys.Should().Equal("seed", "name", "trainer");
        config.Root["defaults"].Should().BeNull();
        config.Sources.Should().HaveCount(3);
    }

    [Fact]
    public void Defaults_may_be_a_single_string_and_nest_with_paths_relative_to_their_file()
    {
        _files.Write("base/inner/deep.yaml", "deep: 1\nseed: 0\n");
        _files.Write("base/mid.yaml", "defaults: inner/deep.yaml\nmid: 2\nseed: 5\n");
        var main = _files.Write("main.yaml", "defaults: base/mid.yaml\ntop: 3\n");

        var config = ExperimentLoader.Load(main);

        config.Flatten().Should().Equal(
            new KeyValuePair<string, string>("deep", "1"),
            new KeyValuePair<string, string>("seed", "5"),
            new KeyValuePair<string, string>("mid", "2"),
            new KeyValuePair<string, string>("top", "3"));
    }

    [Fact]
    public void Lists_replace_and_null_removes_a_key()
    {
        _files.Write("base.yaml", "views: [a, b, c]\ntrainer: {epochs: 5, amp: true}\ngone: 1\n");
        var main = _files.Write("main.yaml", "defaults: [base.yaml]\nviews: [x]\ntrainer: {amp: null}\ngone: ~\n");

        var config = ExperimentLoader.Load(main);

        ((ConfigList)config.Get("views")!).Items.Should().ContainSingle().Which.Should().BeOfType<ConfigScalar>().Which.Value.Should().Be("x");
        config.Get("trainer.amp").Should().BeNull();
        config.Get("trainer.epochs").Should().NotBeNull();
        config.Get("gone").Should().BeNull();
    }

    [Fact]
    public void A_file_included_twice_without_a_cycle_is_fine()
    {
        _files.Write("common.yaml", "seed: 1\n");
        _files.Write("a.yaml", "defaults: common.yaml\na: 1\n");
        _files.Write("b.yaml", "defaults: common.yaml\nb: 1\n");
        var main = _files.Write("main.yaml", "defaults: [a.yaml, b.yaml]\n");

        ExperimentLoader.Load(main).Root.Keys.Should().Equal("seed", "a", "b");
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys_resolve()
    {
        var main = _files.Write("main.yaml", """
            base: &base {lr: 0.1, epochs: 3}
            views:
              - &view
                - {plugin: crop, scale: [0.2, 1.0]}
                - {plugin: flip}
              - *view
            fine: {<<: *base, epochs: 9}
            """);

        var config = ExperimentLoader.Load(main);

        Value(config, "views.1.0.plugin").Should().Be("crop");
        Value(config, "views.1.1.plugin").Should().Be("flip");
        Value(config, "fine.lr").Should().Be("0.1");
        Value(config, "fine.epochs").Should().Be("9", "explicit keys override merged ones");
    }

    [Fact]
    public void Quoted_scalars_stay_strings_and_plain_ones_follow_the_core_schema()
    {
        var root = (ConfigMap)ConfigYaml.Parse("a: \"1\"\nb: 1\nc: 1e-3\nd: True\ne: yes\nf: 0x10\ng: .inf\nh: !!str 5\n", "t.yaml");

        ((ConfigScalar)root["a"]!).IsString.Should().BeTrue();
        ((ConfigScalar)root["b"]!).TryGetInteger(out var b).Should().BeTrue();
        b.Should().Be(1);
        ((ConfigScalar)root["c"]!).TryGetDouble(out var c).Should().BeTrue();
        c.Should().Be(0.001);
        ((ConfigScalar)root["d"]!).TryGetBool(out var d).Should().BeTrue();
        d.Should().BeTrue();
        ((ConfigScalar)root["e"]!).IsString.Should().BeTrue("YAML 1.2 has no yes/no booleans");
        ((ConfigScalar)root["f"]!).TryGetInteger(out var f).Should().BeTrue();
        f.Should().Be(16);
        ((ConfigScalar)root["g"]!).TryGetDouble(out var g).Should().BeTrue();
        g.Should().Be(double.PositiveInfinity);
        ((ConfigScalar)root["h"]!).IsString.Should().BeTrue();
        root["a"]!.Location.Should().Be(new SourceLocation("t.yaml", 1, 4));
    }

    [Fact]
    public void Overrides_set_add_delete_and_index_lists_with_yaml_typed_values()
    {
        var main = _files.Write("main.yaml", """
            trainer: {epochs: 20, lr: 0.1}
            method: {plugin: simclr, projection: {hidden: 128, out: 64}}
            evaluation:
              - {plugin: knn, k: 20}
            views: [a]
            name: x
            """);

        var config = ExperimentLoader.Load(main, [
            "trainer.epochs=50",
            "views=[a, b]",
            "method.projection={hidden: 64}",
            "evaluation.0.k=10",
            "+evaluation.1={plugin: linear-probe}",
            "+tracking.uri=mlruns",
            "~trainer.lr",
            "name='1'",
        ]);

        Value(config, "trainer.epochs").Should().Be("50");
        ((ConfigScalar)config.Get("trainer.epochs")!).Quoted.Should().BeFalse();
        ((ConfigList)config.Get("views")!).Items.Should().HaveCount(2);
        Value(config, "method.projection.hidden").Should().Be("64");
        Value(config, "method.projection.out").Should().Be("64", "a map override merges into the map like a layer");
        Value(config, "evaluation.0.k").Should().Be("10");
        Value(config, "evaluation.1.plugin").Should().Be("linear-probe");
        Value(config, "tracking.uri").Should().Be("mlruns");
        config.Get("trainer.lr").Should().BeNull();
        ((ConfigScalar)config.Get("name")!).IsString.Should().BeTrue();
        config.Get("trainer.epochs")!.Location.Should().Be(SourceLocation.CommandLine(0, 16));
    }

    [Fact]
    public void All_bad_overrides_are_reported_together()
    {
        var main = _files.Write("main.yaml", "a: 1\nb: 2\n");

        var act = () => ExperimentLoader.Load(main, ["c=1", "+a=2"]);

        act.Should().Throw<ConfigException>().Which.Errors.Select(e => e.KeyPath).Should().Equal("c", "a");
    }

    [Fact]
    public void Interpolation_keeps_types_for_whole_references_and_makes_strings_of_embedded_ones()
    {
        var main = _files.Write("main.yaml", """
            name: run-${trainer.epochs}e-${method.plugin}
            trainer: {epochs: 20, lr: "${base.lr}"}
            base: {lr: 1e-3}
            method: {plugin: simclr, head: "${heads.small}"}
            heads: {small: {hidden: 64}}
            eval_epochs: ${trainer.epochs}
            chained: ${eval_epochs}
            deep: ${method.head.hidden}
            first_view: ${views.0}
            views: [crop, flip]
            literal: price \${not.a.ref}
            """);

        var config = ExperimentLoader.Load(main, ["trainer.epochs=30"]);

        Value(config, "name").Should().Be("run-30e-simclr");
        ((ConfigScalar)config.Get("name")!).IsString.Should().BeTrue();
        ((ConfigScalar)config.Get("trainer.lr")!).TryGetDouble(out var lr).Should().BeTrue("a whole-value reference keeps the number type");
        lr.Should().Be(0.001);
        config.Get("method.head").Should().BeOfType<ConfigMap>();
        Value(config, "eval_epochs").Should().Be("30");
        ((ConfigScalar)config.Get("eval_epochs")!).IsNumber.Should().BeTrue();
        Value(config, "chained").Should().Be("30");
        Value(config, "deep").Should().Be("64");
        Value(config, "first_view").Should().Be("crop");
        Value(config, "literal").Should().Be("price ${not.a.ref}");
    }

    [Fact]
    public void A_missing_experiment_file_is_a_config_error()
    {
        var act = () => ExperimentLoader.Load(_files.PathOf("nope.yaml"));

        act.Should().Throw<ConfigException>().WithMessage("*nope.yaml*not found*");
    }
}
