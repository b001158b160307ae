using System.ComponentModel.DataAnnotations;
using FluentAssertions;
using RepLab.Config;
using Xunit;

namespace RepLab.Host.Tests.Config;

/// <summary>One property of every type the binder supports.</summary>
public sealed class AllTypesOptions
{
    /// <summary>A flag.</summary>
    public bool Flag { get; set; }

    /// <summary>An int with a default.</summary>
    public int Count { get; set; } = 7;

    /// <summary>A long.</summary>
    public long Big { get; set; }

    /// <summary>A float.</summary>
    public float Ratio { get; set; }

    /// <summary>A double.</summary>
    public double WeightDecay { get; set; } = 1e-6;

    /// <summary>A string.</summary>
    public string Label { get; set; } = "default";

    /// <summary>An enum.</summary>
    public ExampleLoss Loss { get; set; }

    /// <summary>A nullable int.</summary>
    public int? MaybeCount { get; set; } = 3;

    /// <summary>A nullable enum.</summary>
    public ExampleDevice? MaybeDevice { get; set; }

    /// <summary>An array.</summary>
    public double[] Scales { get; set; } = [];

    /// <summary>A read-only list.</summary>
    public IReadOnlyList<string> Names { get; set; } = [];

    /// <summary>A list of nullable ints.</summary>
    public List<int?> Sizes { get; set; } = [];

    /// <summary>A nested options object.</summary>
    public ExampleProjection Projection { get; set; } = new();

    /// <summary>A list of nested options objects.</summary>
    public List<ExampleKnnOptions> Probes { get; set; } = [];

    /// <summary>A dictionary.</summary>
    public Dictionary<string, double> Weights { get; set; } = new();

    /// <summary>A read-only dictionary of lists.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>> Groups { get; set; } = new Dictionary<string, IReadOnlyList<int>>();

    /// <summary>A raw subtree.</summary>
    public ConfigNode? Raw { get; set; }

    /// <summary>Not bindable: no public setter.</summary>
    public int Computed => Count * 2;
}

/// <summary>Options with a required string and a length limit.</summary>
public sealed record RequiredOptions
{
    /// <summary>Must be given.</summary>
    [Required]
    public string? Id { get; init; }

    /// <summary>At most 3 items.</summary>
    [MaxLength(3)]
    public int[] Few { get; init; } = [];
}

public sealed class OptionsBinderTests
{
    private static ConfigNode Yaml(string text) => ConfigYaml.Parse(text, "t.yaml");

    [Fact]
    public void Binds_every_supported_type()
    {
        var options = OptionsBinder.Bind<AllTypesOptions>(Yaml("""
            flag: true
            count: 12
            big: 12345678901
            ratio: 0.25
            weight-decay: 1e-4
            label: hello
            loss: negative-cosine
            maybe-count: 5
            maybe-device: cuda
            scales: [0.2, 1]
            names: [a, "b"]
            sizes: [1, null, 3]
            projection: {hidden: 32}
            probes: [{k: 5}, {k: 7, temperature: 0.2}]
            weights: {a: 0.5, b: 2}
            groups: {x: [1, 2], y: []}
            raw: [{plugin: crop}, {plugin: flip}]
            """), "method");

        options.Flag.Should().BeTrue();
        options.Count.Should().Be(12);
        options.Big.Should().Be(12345678901L);
        options.Ratio.Should().Be(0.25f);
        options.WeightDecay.Should().Be(1e-4);
        options.Label.Should().Be("hello");
        options.Loss.Should().Be(ExampleLoss.NegativeCosine);
        options.MaybeCount.Should().Be(5);
        options.MaybeDevice.Should().Be(ExampleDevice.Cuda);
        options.Scales.Should().Equal(0.2, 1.0);
        options.Names.Should().Equal("a", "b");
        options.Sizes.Should().Equal(1, null, 3);
        options.Projection.Should().Be(new ExampleProjection { Hidden = 32, Out = 64 });
        options.Probes.Should().HaveCount(2);
        options.Probes[0].Should().Be(new ExampleKnnOptions { K = 5 });
        options.Probes[1].Temperature.Should().Be(0.2);
        options.Weights.Should().Equal(new Dictionary<string, double> { ["a"] = 0.5, ["b"] = 2 });
        options.Groups["x"].Should().Equal(1, 2);
        options.Groups["y"].Should().BeEmpty();
        options.Raw.Should().BeOfType<ConfigList>().Which.Items.Should().HaveCount(2);
    }

    [Fact]
    public void Keys_not_given_keep_the_property_initializers()
    {
        var options = OptionsBinder.Bind<AllTypesOptions>(Yaml("flag: true\n"), "");

        options.Count.Should().Be(7);
        options.WeightDecay.Should().Be(1e-6);
        options.Label.Should().Be("default");
        options.MaybeCount.Should().Be(3);
        options.Projection.Should().Be(new ExampleProjection());
    }

    [Fact]
    public void Snake_case_keys_are_the_same_as_kebab_case_keys()
    {
        var options = OptionsBinder.Bind<AllTypesOptions>(Yaml("weight_decay: 0.5\nmaybe_device: cpu\n"), "");

        options.WeightDecay.Should().Be(0.5);
        options.MaybeDevice.Should().Be(ExampleDevice.Cpu);
    }

    [Fact]
    public void Integers_bind_to_floats_and_integral_floats_to_integers()
    {
        var options = OptionsBinder.Bind<AllTypesOptions>(Yaml("ratio: 2\ncount: 1e3\n"), "");

        options.Ratio.Should().Be(2f);
        options.Count.Should().Be(1000);
    }

    [Fact]
    public void Ignored_keys_are_skipped_and_null_binds_defaults()
    {
        OptionsBinder.Bind<ExampleKnnOptions>(Yaml("plugin: knn\nk: 3\n"), "evaluation.0", new HashSet<string> { "plugin" })
            .K.Should().Be(3);
        OptionsBinder.Bind<ExampleKnnOptions>(new ConfigNull(SourceLocation.Unknown), "x").Should().Be(new ExampleKnnOptions());
    }

    [Fact]
    public void All_errors_are_collected_into_one_exception_with_one_line_each()
    {
        var act = () => OptionsBinder.Bind<AllTypesOptions>(Yaml("""
            count: many
            lable: x
            projection: {hidden: 0, outt: 3}
            scales: [1, x, y]
            """), "method");

        var error = act.Should().Throw<ConfigException>().Which;
        error.Errors.Select(e => $"{e.Location.Line}:{e.Location.Column} {e.KeyPath}").Should().Equal(
            "1:8 method.count", "2:1 method.lable", "3:25 method.projection.outt", "3:22 method.projection.hidden",
            "4:13 method.scales.1", "4:16 method.scales.2");
        error.Message.Split(Environment.NewLine).Should().HaveCount(6);
        error.Message.Should().StartWith("t.yaml:1:8: method.count: expected an integer, got 'many'");
        error.Message.Should().Contain("unknown key 'lable' (did you mean 'label'?)");
    }

    [Fact]
    public void Required_and_length_attributes_validate()
    {
        var missing = () => OptionsBinder.Bind<RequiredOptions>(Yaml("few: [1, 2, 3, 4]\n"), "x");

        var errors = missing.Should().Throw<ConfigException>().Which.Errors;
        errors.Select(e => e.KeyPath).Should().Equal("x.id", "x.few");
        errors[0].Message.Should().Contain("missing required key 'id'");
        errors[1].Message.Should().Contain("expected at most 3 items, got 4");
        errors[1].Location.Should().Be(new SourceLocation("t.yaml", 1, 6));
    }

    [Fact]
    public void Nested_options_left_at_defaults_are_validated_too()
    {
        var act = () => OptionsBinder.Bind<WithRequiredInside>(Yaml("other: 1\n"), "");

        act.Should().Throw<ConfigException>().Which.Errors.Should().ContainSingle()
            .Which.KeyPath.Should().Be("inner.id");
    }

    [Fact]
    public void An_options_type_without_a_parameterless_constructor_is_a_developer_error()
    {
        var act = () => OptionsBinder.Bind(typeof(Positional), Yaml("a: 1\n"), "");

        act.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Kebab_names_follow_word_boundaries()
    {
        OptionNames.ToKebab("WeightDecay").Should().Be("weight-decay");
        OptionNames.ToKebab("RandomResizedCrop").Should().Be("random-resized-crop");
        OptionNames.ToKebab("HTTPServer").Should().Be("http-server");
        OptionNames.ToKebab("Conv2dLayers").Should().Be("conv2d-layers");
        OptionNames.ToKebab("K").Should().Be("k");
    }

    /// <summary>Holds a nested object with a required key.</summary>
    public sealed class WithRequiredInside
    {
        /// <summary>Anything.</summary>
        public int Other { get; set; }

        /// <summary>Nested, with a required key.</summary>
        public RequiredOptions Inner { get; set; } = new();
    }

    /// <summary>A record without a parameterless constructor.</summary>
    public sealed record Positional(int A);
}
