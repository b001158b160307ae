namespace RepLab.Torch;

public static partial class nn
{
    /// <summary>
    /// PyTorch's <c>torch.nn.init</c>, with the same formulas and the same random draws, so a
    /// layer seeded like PyTorch's starts from identical weights.
    /// </summary>
    public static class init
    {
        /// <summary><c>nn.init.calculate_gain</c>: the recommended gain for <paramref name="nonlinearity"/> (linear/conv/sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2/(1+param²)), selu 3/4).</summary>
        public static double calculate_gain(string nonlinearity, double param = 0.01) => nonlinearity switch
        {
            "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "sigmoid" => 1.0,
            "tanh" => 5.0 / 3,
            "relu" => Math.Sqrt(2.0),
            "leaky_relu" => Math.Sqrt(2.0 / (1 + param * param)),
            "selu" => 3.0 / 4,
            _ => throw new ArgumentException($"calculate_gain: unknown nonlinearity '{nonlinearity}'"),
        };

        /// <summary>(fan_in, fan_out) as PyTorch computes them: dims 1 and 0 times the receptive field.</summary>
        public static (long fan_in, long fan_out) calculate_fan_in_and_fan_out(Tensor tensor)
        {
            var s = tensor.shape;
            if (s.Length < 2) throw new ArgumentException("fan in and fan out need a tensor of at least 2 dimensions");
            long receptive = 1;
            for (var i = 2; i < s.Length; i++) receptive *= s[i];
            return (s[1] * receptive, s[0] * receptive);
        }

        private static long Fan(Tensor t, string mode)
        {
            var (fanIn, fanOut) = calculate_fan_in_and_fan_out(t);
            return mode switch
            {
                "fan_in" => fanIn,
                "fan_out" => fanOut,
                _ => throw new ArgumentException($"unknown fan mode '{mode}'"),
            };
        }

        /// <summary><c>nn.init.uniform_</c>: fills <paramref name="t"/> from U(<paramref name="a"/>, <paramref name="b"/>) without recording gradients; returns it.</summary>
        public static Tensor uniform_(Tensor t, double a = 0, double b = 1, Generator? generator = null)
        {
            using (torch.no_grad()) return t.uniform_(a, b, generator);
        }

        /// <summary><c>nn.init.normal_</c>: fills <paramref name="t"/> from N(<paramref name="mean"/>, <paramref name="std"/>²) without recording gradients; returns it.</summary>
        public static Tensor normal_(Tensor t, double mean = 0, double std = 1, Generator? generator = null)
        {
            using (torch.no_grad()) return t.normal_(mean, std, generator);
        }

        /// <summary><c>nn.init.constant_</c>: fills <paramref name="t"/> with <paramref name="value"/>; returns it.</summary>
        public static Tensor constant_(Tensor t, double value)
        {
            using (torch.no_grad()) return t.fill_(value);
        }

        /// <summary><c>nn.init.zeros_</c>.</summary>
        public static Tensor zeros_(Tensor t) => constant_(t, 0);

        /// <summary><c>nn.init.ones_</c>.</summary>
        public static Tensor ones_(Tensor t) => constant_(t, 1);

        /// <summary><c>nn.init.kaiming_uniform_</c> (He): U(-bound, bound) with bound = gain·√(3/fan), fan from <paramref name="mode"/> (<c>fan_in</c> or <c>fan_out</c>); <paramref name="a"/> is the leaky_relu slope. The same draws as PyTorch's under the same seed.</summary>
        public static Tensor kaiming_uniform_(Tensor t, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
            Generator? generator = null)
        {
            var std = calculate_gain(nonlinearity, a) / Math.Sqrt(Fan(t, mode));
            var bound = Math.Sqrt(3.0) * std;
            return uniform_(t, -bound, bound, generator);
        }

        /// <summary><c>nn.init.kaiming_normal_</c> (He): N(0, std²) with std = gain/√fan, e.g. <c>kaiming_normal_(w, mode: "fan_out", nonlinearity: "relu")</c> as torchvision's ResNet does.</summary>
        public static Tensor kaiming_normal_(Tensor t, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
            Generator? generator = null)
        {
            var std = calculate_gain(nonlinearity, a) / Math.Sqrt(Fan(t, mode));
            return normal_(t, 0, std, generator);
        }

        /// <summary><c>nn.init.xavier_uniform_</c> (Glorot): U(-a, a) with a = gain·√(6/(fan_in + fan_out)).</summary>
        public static Tensor xavier_uniform_(Tensor t, double gain = 1, Generator? generator = null)
        {
            var (fanIn, fanOut) = calculate_fan_in_and_fan_out(t);
            var std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
            var a = Math.Sqrt(3.0) * std;
            return uniform_(t, -a, a, generator);
        }

        /// <summary><c>nn.init.xavier_normal_</c> (Glorot): N(0, std²) with std = gain·√(2/(fan_in + fan_out)).</summary>
        public static Tensor xavier_normal_(Tensor t, double gain = 1, Generator? generator = null)
        {
            var (fanIn, fanOut) = calculate_fan_in_and_fan_out(t);
            return normal_(t, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
        }

        /// <summary>PyTorch's default for Linear and Conv layers: kaiming_uniform_(a=sqrt(5)) on the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on the bias.</summary>
        internal static void default_layer_(Tensor weight, Tensor? bias)
        {
            kaiming_uniform_(weight, a: Math.Sqrt(5));
            if (bias is null) return;
            var (fanIn, _) = calculate_fan_in_and_fan_out(weight);
            var bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            uniform_(bias, -bound, bound);
        }
    }
}
