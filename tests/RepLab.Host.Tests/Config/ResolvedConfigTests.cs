using FluentAssertions;
using RepLab.Config;
using Xunit;

namespace RepLab.Host.Tests.Config;

public sealed class ResolvedConfigTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private const string Reference = """
        name: simclr
        seed: 0
        trainer: {epochs: 20, lr: 0.001, amp: false}
        views: [[crop, flip], [crop]]
        tags: {team: "1"}
        """;

    private string HashOf(string yaml, params string[] overrides) =>
        ExperimentLoader.Load(_files.Write(Guid.NewGuid().ToString("N") + ".yaml", yaml), overrides).Hash();

    [Fact]
    public void Hash_ignores_key_order_formatting_comments_number_spelling_and_layering()
    {
        var reference = HashOf(Reference);

        HashOf("""
            # the same experiment, written differently
            trainer:
              amp: False
              lr: 1e-3     # same number
              epochs: 20.0
            views:
              - - crop
                - flip
              - [crop]
            tags:
              team: '1'
            seed: 0x0
            name: "simclr"
            """).Should().Be(reference);

        _files.Write("layers/trainer.yaml", "trainer: {epochs: 5, lr: 0.001, amp: false}\n");
        _files.Write("layers/rest.yaml", "defaults: trainer.yaml\nname: other\nseed: 0\n");
        HashOf("defaults: layers/rest.yaml\nname: simclr\ntrainer: {epochs: 20}\nviews: [[crop, flip], [crop]]\ntags: {team: \"1\"}\n")
            .Should().Be(reference);

        HashOf(Reference.Replace("epochs: 20", "epochs: 10"), "trainer.epochs=20").Should().Be(reference);
    }

    [Theory]
    [InlineData("epochs: 20", "epochs: 21")]
    [InlineData("amp: false", "amp: true")]
    [InlineData("team: \"1\"", "team: 1")]
    [InlineData("[crop, flip], [crop]", "[flip, crop], [crop]")]
    [InlineData("name: simclr", "name: simclr2")]
    [InlineData("lr: 0.001", "lr: 0.0011")]
    public void Hash_changes_when_any_value_changes(string from, string to)
    {
        Reference.Should().Contain(from);
        HashOf(Reference.Replace(from, to)).Should().NotBe(HashOf(Reference));
    }

    [Fact]
    public void Hash_is_full_sha256_hex_and_short_hash_its_prefix()
    {
        var config = ExperimentLoader.Load(_files.Write("a.yaml", Reference));

        config.Hash().Should().MatchRegex("^[0-9a-f]{64}$");
        config.ShortHash().Should().Be(config.Hash()[..16]);
        config.CanonicalJson().Should().Be(
            """{"name":"simclr","seed":0,"tags":{"team":"1"},"trainer":{"amp":false,"epochs":20,"lr":0.001},"views":[["crop","flip"],["crop"]]}""");
    }

    [Fact]
    public void ToYaml_keeps_written_order_and_reads_back_to_the_same_hash()
    {
        var config = ExperimentLoader.Load(_files.Write("a.yaml", Reference + "\nodd: \"a: b\"\nempty: []\nnone: {}\nnumeric_text: \"true\"\n"));

        var yaml = config.ToYaml();

        yaml.Should().StartWith("name: simclr\nseed: 0\ntrainer:\n  epochs: 20\n");
        yaml.Should().Contain("views:\n  - - crop\n    - flip\n  - - crop\n");
        yaml.Should().Contain("team: \"1\"").And.Contain("odd: \"a: b\"").And.Contain("numeric_text: \"true\"").And.Contain("empty: []");
        ExperimentLoader.Load(_files.Write("b.yaml", yaml)).Hash().Should().Be(config.Hash());
    }

    [Fact]
    public void Flatten_lists_every_leaf_with_its_key_path_in_written_order()
    {
        var config = ExperimentLoader.Load(_files.Write("a.yaml", "a: {b: 1, c: [x, {d: 2}]}\ne: []\n"));

        config.Flatten().Select(p => $"{p.Key}={p.Value}").Should().Equal("a.b=1", "a.c.0=x", "a.c.1.d=2", "e=[]");
    }
}
