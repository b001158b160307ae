using RepLab.Abstractions;
using RepLab.Host.Run;
using RepLab.Torch;

namespace RepLab.Host.Tests.Plugins.Methods;

/// <summary>Builds a built-in method on 28x28 grayscale images with the host's factories.</summary>
internal static class MethodKit
{
    /// <summary>Builds <paramref name="method"/> (constructed directly, not through the plugin loader) on a conv-small encoder.</summary>
    public static T Build<T>(T method, int classes = 0) where T : IMethod
    {
        var shape = new ImageShape(1, 28, 28);
        var plan = new TrainingPlan(1, 4, 4, 8);
        var encoders = new EncoderFactory(new RepLab.Plugins.Encoders.ConvSmall.ConvSmallEncoder(new()), shape, null, Device.CPU);
        method.Build(new MethodSetup(encoders.Build(), encoders, shape, classes, Device.CPU, plan, OptimizerFactory.Defaults(typeof(T).Name, method.Needs, plan)));
        return method;
    }
}
