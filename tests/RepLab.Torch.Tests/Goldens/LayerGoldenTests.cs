using Xunit;

namespace RepLab.Torch.Tests.Goldens;

/// <summary>
/// Every nn layer against PyTorch (goldens/layers.safetensors): the C# layer loads PyTorch's
/// state dict, runs forward and backward of loss = (output * lossw).sum(), and must give
/// PyTorch's output, input gradient, parameter gradients and buffers after the pass.
/// </summary>
public class LayerGoldenTests
{
    private const string File = "layers.safetensors";

    private static readonly Dictionary<string, Func<Module>> Layers = new()
    {
        ["linear"] = () => new nn.Linear(5, 3),
        ["linear_nobias"] = () => new nn.Linear(5, 3, bias: false),
        ["conv2d"] = () => new nn.Conv2d(3, 4, 3),
        ["conv2d_s2_p1"] = () => new nn.Conv2d(3, 4, 3, stride: 2, padding: 1),
        ["conv2d_groups"] = () => new nn.Conv2d(4, 6, 3, padding: 1, groups: 2),
        ["conv2d_dilation_nobias"] = () => new nn.Conv2d(3, 4, 3, dilation: 2, bias: false),
        ["conv2d_k4_s2_p1"] = () => new nn.Conv2d(2, 3, 4, stride: 2, padding: 1),
        ["convT_k4_s2_p1"] = () => new nn.ConvTranspose2d(4, 3, 4, stride: 2, padding: 1),
        ["convT_k3_s2_p1_op1"] = () => new nn.ConvTranspose2d(4, 3, 3, stride: 2, padding: 1, output_padding: 1),
        ["convT_k3_s2_p1_op0"] = () => new nn.ConvTranspose2d(4, 3, 3, stride: 2, padding: 1),
        ["convT_groups_op1"] = () => new nn.ConvTranspose2d(4, 6, 3, stride: 2, padding: 1, output_padding: 1, groups: 2),
        ["convT_s1_nobias"] = () => new nn.ConvTranspose2d(3, 2, 3, bias: false),
        ["convT_dilation2_op1"] = () => new nn.ConvTranspose2d(3, 2, 3, stride: 2, padding: 2, output_padding: 1, dilation: 2),
        ["bn1d_train"] = () => new nn.BatchNorm1d(3),
        ["bn1d_train_3d"] = () => new nn.BatchNorm1d(3),
        ["bn1d_eval"] = () => new nn.BatchNorm1d(3),
        ["bn2d_train"] = () => new nn.BatchNorm2d(4),
        ["bn2d_train_m03"] = () => new nn.BatchNorm2d(4, eps: 1e-3, momentum: 0.3),
        ["bn2d_eval"] = () => new nn.BatchNorm2d(4),
        ["groupnorm"] = () => new nn.GroupNorm(2, 4),
        ["groupnorm_eps"] = () => new nn.GroupNorm(3, 6, eps: 1e-3),
        ["layernorm"] = () => new nn.LayerNorm([3, 4]),
        ["layernorm_1d"] = () => new nn.LayerNorm(6),
        ["dropout_eval"] = () => new nn.Dropout(0.5),
        ["dropout2d_eval"] = () => new nn.Dropout2d(0.5),
        ["relu"] = () => new nn.ReLU(),
        ["leaky_relu"] = () => new nn.LeakyReLU(0.2),
        ["elu"] = () => new nn.ELU(0.7),
        ["gelu"] = () => new nn.GELU(),
        ["gelu_tanh"] = () => new nn.GELU("tanh"),
        ["silu"] = () => new nn.SiLU(),
        ["tanh"] = () => new nn.Tanh(),
        ["sigmoid"] = () => new nn.Sigmoid(),
        ["softplus"] = () => new nn.Softplus(),
        ["softplus_beta2_thr3"] = () => new nn.Softplus(beta: 2, threshold: 3),
        ["softmax_dim1"] = () => new nn.Softmax(1),
        ["softmax_dim_last"] = () => new nn.Softmax(-1),
        ["maxpool2d_k2"] = () => new nn.MaxPool2d(2),
        ["maxpool2d_k3_s2_p1"] = () => new nn.MaxPool2d(3, stride: 2, padding: 1),
        ["avgpool2d_k2"] = () => new nn.AvgPool2d(2),
        ["avgpool2d_k3_s2_p1"] = () => new nn.AvgPool2d(3, stride: 2, padding: 1),
        ["adaptive_avgpool2d_3"] = () => new nn.AdaptiveAvgPool2d(3),
        ["adaptive_avgpool2d_1"] = () => new nn.AdaptiveAvgPool2d(1),
        ["adaptive_maxpool2d_3"] = () => new nn.AdaptiveMaxPool2d(3),
        ["flatten"] = () => new nn.Flatten(),
        ["flatten_1_2"] = () => new nn.Flatten(1, 2),
        ["unflatten"] = () => new nn.Unflatten(1, [3, 4]),
        ["identity"] = () => new nn.Identity(),
        ["upsample_nearest_x2"] = () => new nn.Upsample(scale_factor: 2),
        ["upsample_bilinear_size"] = () => new nn.Upsample(size: [7, 9], mode: "bilinear"),
        ["upsample_bilinear_size_ac"] = () => new nn.Upsample(size: [7, 9], mode: "bilinear", align_corners: true),
        ["sequential"] = () => new nn.Sequential(
            new nn.Conv2d(3, 4, 3, padding: 1), new nn.BatchNorm2d(4), new nn.LeakyReLU(0.2), new nn.MaxPool2d(2),
            new nn.Flatten(), new nn.Linear(4 * 3 * 3, 5), new nn.Tanh()),
        ["sequential_eval"] = () => new nn.Sequential(
            new nn.Conv2d(3, 4, 3, padding: 1), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Dropout(0.5),
            new nn.ConvTranspose2d(4, 2, 4, stride: 2, padding: 1), new nn.Sigmoid()),
    };

    /// <summary>
    /// float32 tolerance 1e-5 relative plus 1e-5 absolute for every layer. The C# layers run the
    /// libtorch 1.13 kernels PyTorch ran, and with this machine's libtorch every case but one
    /// kind is bitwise equal to the golden. The exception: transposed convolutions on the
    /// (default) adjoint path, computed as a convolution's input gradient, sum in another order
    /// and differ by a few float32 ulps (at most 7.5e-8 absolute on values of order 0.1 to 1).
    /// The margin above that covers reduction order changing with the thread count (the goldens
    /// are single-threaded) and other libtorch builds (REPLAB_LIBTORCH), whose convolution and
    /// normalisation kernels may sum differently; a wrong stride, padding, group, bias or
    /// statistic shows up orders of magnitude above it.
    /// </summary>
    private const double rtol = 1e-5, atol = 1e-5;

    public static IEnumerable<object[]> Cases() =>
        Layers.Keys.SelectMany(k => k.StartsWith("convT") || k == "sequential_eval"
            ? new[] { new object[] { k, true }, new object[] { k, false } }
            : new[] { new object[] { k, true } });

    [Fact]
    public void Every_golden_case_has_a_layer_here_and_the_other_way_round()
    {
        using var scope = torch.NewDisposeScope();
        Check.SameNames(Layers.Keys, new Golden(File).Cases(), "layer cases");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer_matches_pytorch_forward_backward_and_buffers(string name, bool adjointConvTranspose)
    {
        var before = F.UseAdjointConvTranspose;
        F.UseAdjointConvTranspose = adjointConvTranspose;
        try
        {
            using var scope = torch.NewDisposeScope();
            var g = new Golden(File);
            using var layer = Layers[name]();
            var state = g.Under($"{name}/param.").ToDictionary(x => x.name, x => x.tensor);
            var report = layer.load_state_dict(state);
            Assert.True(report.Clean, report.ToString());
            layer.train(g.Meta[$"{name}.training"] == "1");

            var x = g[$"{name}/input"].clone().requires_grad_();
            var y = layer.forward(x);
            Check.Close(y, g[$"{name}/output"], rtol, atol, $"{name}: output");
            (y * g[$"{name}/lossw"]).sum().backward();
            Check.Close(x.grad, g[$"{name}/grad.input"], rtol, atol, $"{name}: input gradient");

            var parameters = layer.named_parameters().ToList();
            Check.SameNames(parameters.Select(p => p.name), g.Under($"{name}/grad.param.").Select(p => p.name), $"{name}: parameter gradients");
            foreach (var (pn, p) in parameters)
                Check.Close(p.grad, g[$"{name}/grad.param.{pn}"], rtol, atol, $"{name}: gradient of {pn}");

            var buffers = layer.named_buffers().ToList();
            Check.SameNames(buffers.Select(b => b.name), g.Under($"{name}/after.").Select(b => b.name), $"{name}: buffers");
            foreach (var (bn, b) in buffers)
                Check.Close(b, g[$"{name}/after.{bn}"], rtol, atol, $"{name}: buffer {bn} after the forward pass");
        }
        finally
        {
            F.UseAdjointConvTranspose = before;
        }
    }
}
