namespace RepLab.Torch;

public static partial class nn
{
    /// <summary>
    /// PyTorch's <c>torch.nn.init</c>, with the same formulas and the same random draws, so a
    /// layer seeded like PyTorch's starts from identical weights.
    /// </summary>
    public static class init
    {
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

        public static Tensor uniform_(Tensor t, double a = 0, double b = 1, Generator? generator = null)
        {
            using (torch.no_grad()) return t.uniform_(a, b, generator);
        }

        public static Tensor normal_(Tensor t, double mean = 0, double std = 1, Generator? generator = null)
        {
            using (torch.no_grad()) return t.normal_(mean, std, generator);
        }

        public static Tensor constant_(Tensor t, double value)
        {
            using (torch.no_grad()) return t.fill_(value);
        }

        public static Tensor zeros_(Tensor t) => constant_(t, 0);

        public static Tensor ones_(Tensor t) => constant_(t, 1);

        public static Tensor kaiming_uniform_(Tensor t, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
            Generator? generator = null)
        {
            var std = calculate_gain(nonlinearity, a) / Math.Sqrt(Fan(t, mode));
            var bound = Math.Sqrt(3.0) * std;
            return uniform_(t, -bound, bound, generator);
        }

        public static Tensor kaiming_normal_(Tensor t, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
            Generator? generator = null)
        {
            var std = calculate_gain(nonlinearity, a) / Math.Sqrt(Fan(t, mode));
            return normal_(t, 0, std, generator);
        }

        public static Tensor xavier_uniform_(Tensor t, double gain = 1, Generator? generator = null)
        {
            var (fanIn, fanOut) = calculate_fan_in_and_fan_out(t);
            var std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
            var a = Math.Sqrt(3.0) * std;
            return uniform_(t, -a, a, generator);
        }

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
