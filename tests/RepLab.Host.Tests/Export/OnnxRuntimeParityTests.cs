using System.Diagnostics;
using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using RepLab.Export;
using RepLab.Torch;
using Xunit;
using Xunit.Abstractions;

namespace RepLab.Host.Tests.Export;

/// <summary>Every export case written as ONNX and run by ONNX Runtime (its CPU provider) computes our features to 1e-5.</summary>
public class OnnxRuntimeParityTests(ITestOutputHelper output)
{
    internal static readonly Dictionary<string, string> Metadata = new() { ["replab.run_id"] = "0123abcd", ["replab.encoder"] = "test" };

    /// <summary>ONNX Runtime's features for <paramref name="images"/> [N, C, H, W] from <paramref name="session"/>'s model.</summary>
    internal static float[] Run(InferenceSession session, Tensor images)
    {
        var input = new DenseTensor(images.data<float>(), [.. images.shape.Select(d => (int)d)]);
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor("images", input)]);
        outputs.Single().Name.Should().Be("features");
        return outputs.Single().AsEnumerable<float>().ToArray();
    }

    internal static double MaxDifference(float[] a, float[] b)
    {
        a.Should().HaveSameCount(b);
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    [Theory]
    [MemberData(nameof(ExportCases.Names), MemberType = typeof(ExportCases))]
    public void Onnx_runtime_computes_our_features(string name)
    {
        using var scope = torch.NewDisposeScope();
        var (encoder, shape, images, ours) = ExportCases.Make(name);
        var dir = Directory.CreateTempSubdirectory("replab-export-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            var written = EncoderExport.Write(encoder, shape, ExportFormat.Onnx, dir, Metadata);
            written.Should().Equal(Path.Combine(dir, "encoder.onnx"));
            Directory.GetFiles(dir).Should().Equal(written, "no temporary file is left");
            using var session = new InferenceSession(written[0]);
            session.InputMetadata.Keys.Should().Equal("images");
            session.InputMetadata["images"].Dimensions.Should().Equal(-1, shape.Channels, shape.Height, shape.Width);
            session.OutputMetadata["features"].Dimensions.Should().Equal(-1, encoder.Features);
            session.ModelMetadata.CustomMetadataMap.Should().Contain(Metadata);

            var batch = MaxDifference(Run(session, images), ours.data<float>());
            // The batch dimension is free: one image gives that image's features.
            var single = MaxDifference(Run(session, images.narrow(0, 0, 1)), ours.narrow(0, 0, 1).data<float>());
            output.WriteLine($"{name}: max |ORT - ours| = {batch:E2} (batch of {ExportCases.Batch}), {single:E2} (one image); "
                + $"{encoder.Features} features, |ours| <= {ours.abs().max().item():F2}, model {new FileInfo(written[0]).Length / 1e6:F1} MB, {clock.ElapsedMilliseconds} ms");
            batch.Should().BeLessThanOrEqualTo(1e-5);
            single.Should().BeLessThanOrEqualTo(1e-5);
        }
        finally
        {
            encoder.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }
}
