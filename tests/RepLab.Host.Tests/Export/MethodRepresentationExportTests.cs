using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using RepLab.Abstractions;
using RepLab.Export;
using RepLab.Host.Run;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Export;

/// <summary>
/// What <c>replab export</c> writes for every built-in method: its representation (the encoder, DCGAN's pooled
/// maps, the VAE's posterior mean, ...), built by the method as a run builds it, exports to ONNX and ONNX Runtime
/// computes its features to 1e-5. The batch norms run a few training batches first, so their statistics are not
/// the defaults.
/// </summary>
public class MethodRepresentationExportTests
{
    public static TheoryData<string> Methods() => [.. Repo.BuiltIns.Catalog.Plugins.Where(p => p.Kind == PluginKind.Method).Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(Methods))]
    public void Every_built_in_methods_representation_exports_and_onnx_runtime_computes_its_features(string name)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var method = Repo.BuiltIns.Create<IMethod>(name);
        var shape = new ImageShape(1, 28, 28);
        var encoders = new EncoderFactory(Repo.BuiltIns.Create<IEncoder>(name == "dcgan" ? "dcgan-discriminator" : "conv-small"), shape,
            ([0.3], [0.25]), Device.CPU);
        var plan = new TrainingPlan(2, 4, 8, 16);
        method.Build(new MethodSetup(encoders.Build(), encoders, shape, 10, Device.CPU, plan, OptimizerFactory.Defaults(name, method.Needs, plan)));
        var dir = Directory.CreateTempSubdirectory("replab-method-export-").FullName;
        try
        {
            var representation = method.Representation;
            using (torch.no_grad())
                for (var i = 0; i < 3; i++) representation.train().forward(torch.rand([8, 1, 28, 28]));
            representation.eval();
            var images = torch.rand([4, 1, 28, 28]);
            float[] ours;
            using (torch.no_grad()) ours = representation.forward(images).data<float>().ToArray();

            var model = EncoderExport.Write(representation, shape, ExportFormat.Onnx, dir, OnnxRuntimeParityTests.Metadata).Single();
            using var session = new InferenceSession(model);
            var theirs = OnnxRuntimeParityTests.Run(session, images);

            theirs.Should().HaveCount(4 * representation.Features);
            OnnxRuntimeParityTests.MaxDifference(theirs, ours).Should().BeLessThanOrEqualTo(1e-5, $"{name}'s representation, {representation.GetType().Name}");
        }
        finally
        {
            foreach (var m in method.Modules.Values) m.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }
}
