using Xunit;

namespace RepLab.Torch.Tests.Goldens;

/// <summary>
/// torch.manual_seed gives PyTorch's streams bit for bit (goldens/seed.safetensors): default
/// layer initialisation, randn/rand/randint/randperm, in-place fills, dropout masks and a
/// private Generator.
/// </summary>
public class SeedGoldenTests
{
    private const string File = "seed.safetensors";

    [Fact]
    public void Layers_built_after_manual_seed_start_from_pytorchs_weights()
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden(File);
        torch.manual_seed(42);
        using var model = new nn.Sequential(new nn.Linear(6, 4), new nn.Conv2d(3, 5, 3),
            new nn.ConvTranspose2d(5, 2, 4, stride: 2, padding: 1), new nn.BatchNorm2d(5), new nn.Linear(7, 3, bias: false),
            new nn.Conv2d(4, 6, 3, groups: 2));
        var state = model.state_dict();
        Check.SameNames(state.Keys, g.Under("init/").Select(x => x.name), "state dict");
        foreach (var (name, t) in state) Check.Bitwise(t, g[$"init/{name}"], name);
    }

    [Fact]
    public void Random_factories_continue_pytorchs_stream_bit_for_bit()
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden(File);
        torch.manual_seed(7);
        var drawn = new (string key, Func<Tensor> draw)[]
        {
            ("0_randn_3x5", () => torch.randn(3, 5)),
            ("1_randn_4x8", () => torch.randn(4, 8)),
            ("2_rand_4x4", () => torch.rand(4, 4)),
            ("3_randint_0_10_20", () => torch.randint(0, 10, [20])),
            ("4_randperm_12", () => torch.randperm(12)),
            ("5_randn_f64_5", () => torch.randn([5], ScalarType.Float64)),
            ("6_rand_f64_6", () => torch.rand([6], ScalarType.Float64)),
            ("7_randint_m5_5_2x3", () => torch.randint(-5, 5, [2, 3])),
            ("8_randperm_100", () => torch.randperm(100)),
            ("9_randn_17", () => torch.randn(17)),
        };
        Check.SameNames(drawn.Select(d => d.key), g.Under("stream/").Select(x => x.name), "stream draws");
        foreach (var (key, draw) in drawn) Check.Bitwise(draw(), g[$"stream/{key}"], key);
    }

    [Fact]
    public void In_place_fills_bernoulli_and_dropout_follow_the_seed()
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden(File);
        torch.manual_seed(3);
        var drawn = new (string key, Func<Tensor> draw)[]
        {
            ("0_uniform_m2_3", () => torch.empty([3, 4]).uniform_(-2, 3)),
            ("1_normal_1_0.5", () => torch.empty([20]).normal_(1.0, 0.5)),
            ("2_bernoulli_0.3", () => torch.bernoulli(torch.full([10], 0.3))),
            ("3_dropout_0.4", () => F.dropout(torch.ones(4, 6), 0.4, training: true)),
        };
        Check.SameNames(drawn.Select(d => d.key), g.Under("fill/").Select(x => x.name), "fills");
        foreach (var (key, draw) in drawn) Check.Bitwise(draw(), g[$"fill/{key}"], key);
    }

    [Fact]
    public void A_seeded_generator_gives_pytorchs_private_stream()
    {
        using var scope = torch.NewDisposeScope();
        var g = new Golden(File);
        using var gen = new Generator(11);
        Check.Bitwise(torch.rand([5], generator: gen), g["gen/0_rand_5"], "rand");
        Check.Bitwise(torch.randn([5], generator: gen), g["gen/1_randn_5"], "randn");
    }
}
