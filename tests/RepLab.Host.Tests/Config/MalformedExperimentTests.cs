using FluentAssertions;
using RepLab.Config;
using Xunit;

namespace RepLab.Host.Tests.Config;

/// <summary>
/// Every way a user can get an experiment wrong must give one message naming the file, line and column, the key
/// path, and what was expected. Each case writes its files to a temp folder, loads and binds them like the host.
/// </summary>
public sealed class MalformedExperimentTests
{
    /// <param name="Main">Text of main.yaml.</param>
    /// <param name="File">File the error must name: a path relative to the temp folder, or the command line.</param>
    /// <param name="Line">Expected 1-based line.</param>
    /// <param name="Column">Expected 1-based column.</param>
    /// <param name="KeyPath">Expected key path.</param>
    /// <param name="Expected">A fragment saying what was expected (or the did-you-mean).</param>
    public sealed record Case(string Main, string File, int Line, int Column, string KeyPath, string Expected)
    {
        public string[] Overrides { get; init; } = [];

        public (string Path, string Text)[] Others { get; init; } = [];
    }

    private const string Cli = SourceLocation.CommandLineFile;

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["yaml-unclosed-flow-list"] = new("name: demo\nscales: [0.2, 1.0\ntrainer:\n  epochs: 3\n", "main.yaml", 2, 13, "scales.0", "is a '[', '{' or quote left open?"),
        ["yaml-bad-indentation"] = new("name: demo\ntrainer:\n  epochs: 3\n batch-size: 4\n", "main.yaml", 4, 2, "trainer.epochs", "invalid YAML"),
        ["yaml-duplicate-key"] = new("name: demo\ntrainer:\n  epochs: 3\n  epochs: 4\n", "main.yaml", 4, 3, "trainer.epochs", "first written at line 3"),
        ["yaml-unknown-alias"] = new("name: demo\nviews:\n  - *view\n", "main.yaml", 3, 5, "views.0", "unknown alias '*view'"),
        ["yaml-two-documents"] = new("name: demo\n---\nname: other\n", "main.yaml", 2, 1, "(top level)", "expected one document per file"),
        ["yaml-top-level-list"] = new("- a\n- b\n", "main.yaml", 1, 1, "(top level)", "expected a map of settings at the top level"),
        ["unknown-top-level-key"] = new("name: demo\nseeed: 3\n", "main.yaml", 2, 1, "seeed", "did you mean 'seed'?"),
        ["unknown-nested-key"] = new("name: demo\ntrainer:\n  epochz: 3\n", "main.yaml", 3, 3, "trainer.epochz", "did you mean 'epochs'?"),
        ["camel-case-key"] = new("name: demo\ntrainer:\n  batchSize: 3\n", "main.yaml", 3, 3, "trainer.batchSize", "did you mean 'batch-size'?"),
        ["kebab-and-snake-twice"] = new("name: demo\ntrainer:\n  batch-size: 3\n  batch_size: 4\n", "main.yaml", 4, 3, "trainer.batch_size", "expected each key once"),
        ["int-not-a-number"] = new("name: demo\ntrainer:\n  epochs: abc\n", "main.yaml", 3, 11, "trainer.epochs", "expected an integer, got 'abc'"),
        ["int-with-fraction"] = new("name: demo\ntrainer:\n  epochs: 1.5\n", "main.yaml", 3, 11, "trainer.epochs", "expected an integer, got '1.5'"),
        ["int-overflow"] = new("name: demo\ntrainer:\n  epochs: 99999999999\n", "main.yaml", 3, 11, "trainer.epochs", "expected an integer between -2147483648 and 2147483647"),
        ["bool-yes"] = new("name: demo\ntrainer:\n  amp: yes\n", "main.yaml", 3, 8, "trainer.amp", "expected true or false, got 'yes'"),
        ["quoted-number"] = new("name: demo\ntrainer:\n  lr: \"0.5\"\n", "main.yaml", 3, 7, "trainer.lr", "expected a number, got the string \"0.5\""),
        ["map-for-integer"] = new("name: demo\ntrainer:\n  epochs: {n: 3}\n", "main.yaml", 3, 11, "trainer.epochs", "expected an integer, got a map"),
        ["scalar-for-map"] = new("name: demo\ntrainer: 5\n", "main.yaml", 2, 10, "trainer", "expected a map of example-trainer options, got '5'"),
        ["list-for-string"] = new("name: [a, b]\n", "main.yaml", 1, 7, "name", "expected a string, got a list"),
        ["scalar-for-list"] = new("name: demo\nscales: 0.5\n", "main.yaml", 2, 9, "scales", "expected a list of numbers, got '0.5'"),
        ["bad-list-item"] = new("name: demo\nscales: [0.2, abc]\n", "main.yaml", 2, 15, "scales.1", "expected a number, got 'abc'"),
        ["dictionary-value-type"] = new("name: demo\ntags:\n  team: [a]\n", "main.yaml", 3, 9, "tags.team", "expected a string, got a list"),
        ["int-out-of-range"] = new("name: demo\ntrainer:\n  epochs: 0\n", "main.yaml", 3, 11, "trainer.epochs", "expected a value between 1 and 1000, got 0"),
        ["double-out-of-range"] = new("name: demo\ntrainer:\n  lr: 11.5\n", "main.yaml", 3, 7, "trainer.lr", "expected a value between 0 and 10, got 11.5"),
        ["list-too-short"] = new("name: demo\nscales: [0.5]\n", "main.yaml", 2, 9, "scales", "expected at least 2 items, got 1"),
        ["missing-required-key"] = new("seed: 3\ntrainer:\n  epochs: 3\n", "main.yaml", 1, 1, "name", "missing required key 'name'"),
        ["cross-field-validation"] = new("name: demo\ntrainer:\n  lr: 0.1\n  min-lr: 0.5\n", "main.yaml", 4, 11, "trainer.min-lr", "expected min-lr at most lr"),
        ["enum-typo"] = new("name: demo\ntrainer:\n  device: cdua\n", "main.yaml", 3, 11, "trainer.device", "expected one of: auto, cpu, cuda, got 'cdua' (did you mean 'cuda'?)"),
        ["unknown-plugin"] = new("name: demo\nmethod:\n  plugin: simclrr\n", "main.yaml", 3, 11, "method.plugin", "unknown method 'simclrr' (did you mean 'simclr'?); expected one of: simclr"),
        ["missing-plugin-key"] = new("name: demo\nmethod:\n  temperature: 0.5\n", "main.yaml", 3, 3, "method", "missing key 'plugin'; expected the name of a method"),
        ["plugin-unknown-option"] = new("name: demo\nmethod:\n  plugin: simclr\n  temprature: 0.3\n", "main.yaml", 4, 3, "method.temprature", "did you mean 'temperature'?"),
        ["plugin-nested-out-of-range"] = new("name: demo\nmethod:\n  plugin: simclr\n  projection: {hidden: 0}\n", "main.yaml", 4, 24, "method.projection.hidden", "expected a value between 1 and 8192, got 0"),
        ["plugin-enum-typo"] = new("name: demo\nmethod:\n  plugin: simclr\n  loss: negative-cosin\n", "main.yaml", 4, 9, "method.loss", "did you mean 'negative-cosine'?"),
        ["evaluator-in-list-unknown-option"] = new("name: demo\nevaluation:\n  - plugin: knn\n    k: 10\n  - plugin: linear-probe\n    epoch: 5\n", "main.yaml", 6, 5, "evaluation.1.epoch", "did you mean 'epochs'?"),
        ["missing-defaults-file"] = new("defaults: [base/misssing.yaml]\nname: demo\n", "main.yaml", 1, 12, "defaults.0", "not found")
        {
            Others = [("base/missing.yaml", "seed: 1\n")],
        },
        ["cyclic-defaults"] = new("defaults: a.yaml\nname: demo\n", "b.yaml", 1, 12, "defaults.0", "cyclic defaults")
        {
            Others = [("a.yaml", "defaults: [b.yaml]\nseed: 1\n"), ("b.yaml", "defaults: [a.yaml]\nseed: 2\n")],
        },
        ["defaults-not-a-path"] = new("defaults: {a: 1}\nname: demo\n", "main.yaml", 1, 11, "defaults", "expected a file path or a list of file paths"),
        ["error-inside-defaults-file"] = new("defaults: base.yaml\nname: demo\n", "base.yaml", 2, 11, "trainer.epochs", "expected an integer, got 'many'")
        {
            Others = [("base.yaml", "trainer:\n  epochs: many\n")],
        },
        ["interpolation-missing-key"] = new("name: run-${trainer.epoch}\ntrainer:\n  epochs: 3\n", "main.yaml", 1, 7, "name", "'trainer' has no 'epoch'; expected one of: epochs (did you mean 'epochs'?)"),
        ["interpolation-cycle"] = new("name: demo\nseed: ${trainer.epochs}\ntrainer:\n  epochs: ${seed}\n", "main.yaml", 2, 7, "seed", "interpolation cycle: seed -> trainer.epochs -> seed"),
        ["interpolation-embeds-map"] = new("name: run-${trainer}\ntrainer:\n  epochs: 3\n", "main.yaml", 1, 7, "name", "cannot be embedded in text"),
        ["override-unknown-key"] = new("name: demo\ntrainer:\n  epochs: 3\n", Cli, 1, 1, "trainer.epoch", "did you mean 'trainer.epochs'?")
        {
            Overrides = ["trainer.epoch=5"],
        },
        ["override-add-existing-key"] = new("name: demo\nseed: 1\ntrainer:\n  epochs: 3\n", Cli, 2, 1, "trainer.epochs", "already exists")
        {
            Overrides = ["seed=2", "+trainer.epochs=5"],
        },
        ["override-index-out-of-range"] = new("name: demo\nevaluation:\n  - {plugin: knn}\n", Cli, 1, 1, "evaluation.3", "expected an index from 0 to 0, got '3'")
        {
            Overrides = ["evaluation.3.k=5"],
        },
        ["override-without-equals"] = new("name: demo\n", Cli, 1, 1, "trainer.epochs", "expected 'key.path=value'")
        {
            Overrides = ["trainer.epochs"],
        },
        ["override-wrong-type"] = new("name: demo\nseed: 1\n", Cli, 2, 6, "seed", "expected an integer, got 'abc'")
        {
            Overrides = ["name=x", "seed=abc"],
        },
        ["override-into-scalar"] = new("name: demo\n", Cli, 1, 1, "name.first", "expected a map or list to hold 'first'")
        {
            Overrides = ["name.first=x"],
        },
        ["override-delete-missing"] = new("name: demo\ntrainer:\n  epochs: 3\n", Cli, 1, 1, "trainer.epoch", "no key 'epoch' to delete (did you mean 'trainer.epochs'?)")
        {
            Overrides = ["~trainer.epoch"],
        },
        ["override-invalid-yaml"] = new("name: demo\n", Cli, 1, 8, "scales", "invalid YAML")
        {
            Overrides = ["scales=[0.2, 1.0"],
        },
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [Fact]
    public void The_table_holds_at_least_thirty_distinct_cases()
    {
        Cases.Should().HaveCountGreaterThanOrEqualTo(30);
        Cases.Values.Select(c => c.Main + string.Join("|", c.Overrides) + string.Join("|", c.Others)).Should().OnlyHaveUniqueItems();
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Malformed_experiment_gives_a_located_message(string name)
    {
        var c = Cases[name];
        using var files = new TempFiles();
        var main = files.Write("main.yaml", c.Main);
        foreach (var (path, text) in c.Others)
            files.Write(path, text);

        var act = () => ExampleExperiment.LoadAndBind(main, c.Overrides);

        var error = act.Should().Throw<ConfigException>().Which;
        var file = c.File == Cli ? Cli : files.PathOf(c.File);
        error.Message.Should().Contain($"{file}:{c.Line}:{c.Column}: {c.KeyPath}: ");
        error.Message.Should().Contain(c.Expected);
        error.Errors.Should().ContainSingle("one mistake gives one message");
    }
}
