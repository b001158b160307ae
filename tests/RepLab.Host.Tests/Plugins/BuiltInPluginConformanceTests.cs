using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Xml.Linq;
using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Host.Plugins;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Plugins;

/// <summary>Adam at lr 1e-3 for every parameter group, whatever the method's defaults.</summary>
internal sealed class AdamForEveryGroup : IOptimizerFactory
{
    public optim.Optimizer Create(string group, IEnumerable<Tensor> parameters, OptimizerDefaults defaults) => new optim.Adam(parameters, lr: 1e-3);
}

/// <summary>Runs over every built-in plugin the host discovers, so a new plugin is tested the day it is added.</summary>
public class BuiltInPluginConformanceTests
{
    public static TheoryData<string> Ids => new(Repo.BuiltIns.Catalog.Plugins.Select(p => p.Id));

    private static PluginDescriptor Get(string id) => Repo.BuiltIns.Catalog.Plugins.Single(p => p.Id == id);

    [Fact]
    public void Built_ins_load_without_failures_and_cover_the_first_run()
    {
        Repo.BuiltIns.Catalog.Failures.Should().BeEmpty();
        Repo.BuiltIns.Names(PluginKind.Encoder).Should().Contain("conv-small");
        Repo.BuiltIns.Names(PluginKind.Dataset).Should().Contain(["synthetic", "idx"]);
        Repo.BuiltIns.Names(PluginKind.Evaluator).Should().Contain(["linear-probe", "knn"]);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Defaults_bind_and_validate_and_every_option_is_documented(string id)
    {
        var d = Get(id);
        d.Attribute.Summary.Should().NotBeNullOrWhiteSpace($"{id} needs a one-line summary");
        var options = Activator.CreateInstance(d.OptionsType)!;
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true)
            .Should().BeTrue(string.Join("; ", results.Select(r => r.ErrorMessage)));
        var xml = Path.ChangeExtension(d.AssemblyPath, ".xml");
        File.Exists(xml).Should().BeTrue("plugins ship their XML docs for `replab plugins`");
        var documented = XDocument.Load(xml).Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet();
        foreach (var p in d.OptionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.DeclaringType == d.OptionsType))
            documented.Should().Contain($"P:{d.OptionsType.FullName}.{p.Name}", $"{id} option {p.Name} needs a doc comment");
        var instance = d.OptionsType == typeof(NoOptions) ? Activator.CreateInstance(d.Type) : Activator.CreateInstance(d.Type, options);
        instance.Should().NotBeNull();
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void A_tiny_exercise_runs_on_synthetic_data(string id)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var d = Get(id);
        var r = Repo.BuiltIns;
        using var data = r.Create<IDataset>("synthetic").Load("train");
        switch (d.Kind)
        {
            case PluginKind.Encoder:
                using (var encoder = r.Create<IEncoder>(d.Name).Build(data.Shape))
                using (var x = data.Images.slice(0, 0, 8).to(ScalarType.Float32) / 255.0)
                using (var y = encoder.forward(x))
                    y.shape.Should().Equal(8, encoder.Features);
                break;
            case PluginKind.Dataset:
                var dataset = r.Create<IDataset>(d.Name);
                dataset.Splits.Should().Contain("train");
                ImageSet set;
                try
                {
                    set = dataset.Load(dataset.Splits.Contains("test") ? "test" : "train");
                }
                catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // Datasets without a Debian package (CIFAR, STL-10, a user's image folder) default to a
                    // path that is absent on a fresh machine; what the exercise can check then is that the
                    // user learns which file or folder is expected, not a stack trace.
                    e.Message.Should().StartWith($"{d.Name}").And.Contain("expected").And.Contain("/");
                    return;
                }
                using (set)
                {
                    set.Images.dtype.Should().Be(ScalarType.UInt8);
                    set.Images.dim().Should().Be(4);
                    set.Count.Should().BePositive();
                }
                break;
            case PluginKind.Augmentation:
                using (var g = new Generator(0))
                using (var x = data.Images.slice(0, 0, 8).to(ScalarType.Float32) / 255.0)
                using (var y = r.Create<IAugmentation>(d.Name).Apply(x, g))
                    y.shape[0].Should().Be(8);
                break;
            case PluginKind.Evaluator:
                using (var test = r.Create<IDataset>("synthetic").Load("test"))
                using (var encoder = r.Create<IEncoder>("conv-small").Build(data.Shape))
                {
                    var before = Features.Fingerprint(encoder);
                    var context = new RecordingRunContext();
                    var metrics = r.Create<IEvaluator>(d.Name).Evaluate(encoder, new EvaluationData(data, test), context);
                    metrics.Should().ContainKey($"eval/{d.Name}/top1");
                    metrics.Values.Should().OnlyContain(v => v >= 0 && v <= 1);
                    context.Logged.Keys.Should().Contain(metrics.Keys);
                    Features.Fingerprint(encoder).Should().Be(before, "evaluation leaves the encoder untouched");
                    encoder.parameters().Should().OnlyContain(p => p.grad == null);
                }
                break;
            case PluginKind.Method:
                using (var encoder = r.Create<IEncoder>("conv-small").Build(data.Shape))
                {
                    var method = r.Create<IMethod>(d.Name);
                    method.Build(new MethodSetup(encoder, data.Shape, Device.CPU, new AdamForEveryGroup()));
                    method.Modules.Values.Should().Contain(encoder, "the encoder is checkpointed with the method");
                    method.Encoder.Should().BeSameAs(encoder);
                    var before = Features.Fingerprint(encoder);
                    var context = new RecordingRunContext();
                    using var g = new Generator(0);
                    for (var step = 0; step < 2; step++)
                    {
                        using var stepScope = torch.NewDisposeScope();
                        var x = data.Images.slice(0, step * 16, step * 16 + 16).to(ScalarType.Float32) / 255.0;
                        var views = Enumerable.Range(0, method.Views).Select(_ => x.clone()).ToList();
                        method.Step(new TrainBatch(views, x, data.Labels!.slice(0, step * 16, step * 16 + 16)), context);
                    }
                    context.Logged.Keys.Should().Contain(k => k.StartsWith("loss/"), "a method logs its loss terms");
                    context.Logged.Values.Should().OnlyContain(v => double.IsFinite(v));
                    Features.Fingerprint(encoder).Should().NotBe(before, "training steps update the encoder");
                }
                break;
            default:
                throw new InvalidOperationException($"no conformance exercise for {d.Kind} yet: add one");
        }
    }
}
