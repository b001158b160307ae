using FluentAssertions;
using RepLab.Abstractions;
using RepLab.Torch;
using Xunit;

namespace RepLab.Host.Tests.Sdk;

/// <summary>
/// <see cref="BatchSlice"/> and <see cref="SampleDraws"/>: two processes that each hold half of a global batch
/// of 2b samples, drawing from the same generator state, together draw exactly what one process draws for the
/// whole batch (for k stacked blocks of samples too), and without a slice every helper is the plain libtorch draw.
/// </summary>
public class SampleDrawsTests
{
    /// <summary>Samples each of the two processes holds.</summary>
    private const long Local = 5;

    /// <summary>Rank 0's and rank 1's rows of a global batch of 2 <see cref="Local"/>.</summary>
    private static readonly BatchSlice[] Halves = [new(0, Local, 2 * Local), new(Local, Local, 2 * Local)];

    /// <summary>The ranks' parts joined back in global order: block j of every rank, for j = 0..blocks-1, along <paramref name="dim"/>.</summary>
    private static Tensor Join(IReadOnlyList<Tensor> parts, int dim, int blocks) =>
        torch.cat(Enumerable.Range(0, blocks).SelectMany(j => parts.Select(p => p.narrow(dim, j * Local, Local))).ToList(), dim);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Uniforms_of_the_two_halves_are_the_rows_one_process_draws_for_the_global_batch(int blocks)
    {
        const int count = 3;
        using var one = new Generator(11);
        var whole = SampleDraws.Uniforms(one, blocks * 2 * Local, count);
        var gens = Halves.Select(_ => new Generator(11)).ToArray();
        var parts = Halves.Select((s, r) =>
        {
            using (BatchSlice.Enter(s)) return SampleDraws.Uniforms(gens[r], blocks * Local, count);
        }).ToArray();
        parts.Should().OnlyContain(p => p.Length == blocks * Local * count, "each process gets its own rows only");
        var joined = Enumerable.Range(0, blocks)
            .SelectMany(j => parts.SelectMany(p => p.Skip((int)(j * Local * count)).Take((int)(Local * count))));
        joined.Should().Equal(whole);
        // Every process consumed the global batch's stretch of the stream: their next draws agree with one process's.
        using var next = torch.rand([4], ScalarType.Float64, generator: one);
        foreach (var g in gens)
        {
            using var theirs = torch.rand([4], ScalarType.Float64, generator: g);
            theirs.equal(next).Should().BeTrue();
            g.Dispose();
        }
    }

    /// <summary>Every default-generator helper, with the samples on dimension 0 and 1, in one block and in two.</summary>
    public static TheoryData<string, int, int> Draws
    {
        get
        {
            var data = new TheoryData<string, int, int>();
            foreach (var kind in new[] { "randn", "rand", "randint" })
                foreach (var (dim, blocks) in new[] { (0, 1), (1, 1), (0, 2), (1, 2) })
                    data.Add(kind, dim, blocks);
            return data;
        }
    }

    private static Tensor Draw(string kind, long[] shape, int sampleDim) => kind switch
    {
        "randn" => SampleDraws.Randn(shape, Device.CPU, sampleDim: sampleDim),
        "rand" => SampleDraws.Rand(shape, Device.CPU, ScalarType.Float64, sampleDim),
        _ => SampleDraws.RandInt(3, 17, shape, Device.CPU, sampleDim),
    };

    /// <summary>A [4, n, 2] shape (sample dimension 1, as jigsaw's offsets) or [n, 4, 2] (sample dimension 0).</summary>
    private static long[] Shape(int sampleDim, long samples) => sampleDim == 0 ? [samples, 4, 2] : [4, samples, 2];

    [Theory]
    [MemberData(nameof(Draws))]
    public void Default_generator_draws_of_the_two_halves_are_one_process_draw_for_the_global_batch(string kind, int sampleDim, int blocks)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(21);
        var whole = Draw(kind, Shape(sampleDim, blocks * 2 * Local), sampleDim);
        using var afterOne = torch.rand([3]);
        var parts = new List<Tensor>();
        foreach (var slice in Halves)
        {
            torch.manual_seed(21);
            using (BatchSlice.Enter(slice)) parts.Add(Draw(kind, Shape(sampleDim, blocks * Local), sampleDim));
            parts[^1].shape.Should().Equal(Shape(sampleDim, blocks * Local));
            parts[^1].is_contiguous().Should().BeTrue();
            torch.rand([3]).equal(afterOne).Should().BeTrue("every process consumes the global batch's stretch of the stream");
        }
        var joined = Join(parts, sampleDim, blocks);
        joined.dtype.Should().Be(whole.dtype);
        joined.equal(whole).Should().BeTrue();
    }

    [Fact]
    public void Without_a_slice_or_in_a_whole_one_the_helpers_are_the_plain_libtorch_draws()
    {
        using var scope = torch.NewDisposeScope();
        BatchSlice.Current.Should().BeNull("no test leaves a slice behind");
        foreach (var slice in new BatchSlice?[] { null, new BatchSlice(0, 6, 6) })
        {
            using var entered = slice is { } s ? BatchSlice.Enter(s) : null;
            torch.manual_seed(3);
            var mine = new[] { SampleDraws.Randn([6, 2], Device.CPU), SampleDraws.Rand([6, 2], Device.CPU), SampleDraws.RandInt(0, 9, [6], Device.CPU) };
            torch.manual_seed(3);
            var plain = new[] { torch.randn([6, 2], device: Device.CPU), torch.rand([6, 2], device: Device.CPU), torch.randint(0, 9, [6], device: Device.CPU) };
            mine.Zip(plain).Should().OnlyContain(p => p.First.dtype == p.Second.dtype && p.First.equal(p.Second), $"slice {slice}");
            using var g1 = new Generator(4);
            using var g2 = new Generator(4);
            using var u = torch.rand([6, 3], ScalarType.Float64, Device.CPU, g2);
            SampleDraws.Uniforms(g1, 6, 3).Should().Equal(u.data<double>());
        }
    }

    [Fact]
    public void A_sample_count_that_is_not_a_multiple_of_the_slice_is_drawn_as_without_one()
    {
        using var scope = torch.NewDisposeScope();
        using var g1 = new Generator(8);
        using var g2 = new Generator(8);
        using var plain = torch.rand([8, 2], ScalarType.Float64, Device.CPU, g2);
        torch.manual_seed(5);
        var randn = torch.randn([7, 3]);
        using (BatchSlice.Enter(new BatchSlice(3, 3, 9)))
        {
            SampleDraws.Uniforms(g1, 8, 2).Should().Equal(plain.data<double>(), "8 samples (a sample grid) are not whole blocks of 3");
            torch.manual_seed(5);
            SampleDraws.Randn([7, 3], Device.CPU).equal(randn).Should().BeTrue();
        }
    }

    [Fact]
    public void Entering_a_slice_holds_for_the_thread_nests_and_restores_the_previous_one()
    {
        BatchSlice.Current.Should().BeNull();
        var outer = new BatchSlice(0, 4, 8);
        var inner = new BatchSlice(4, 4, 8);
        using (BatchSlice.Enter(outer))
        {
            BatchSlice.Current.Should().Be(outer);
            var handle = BatchSlice.Enter(inner);
            BatchSlice.Current.Should().Be(inner);
            BatchSlice? elsewhere = outer;
            var other = new Thread(() => elsewhere = BatchSlice.Current);
            other.Start();
            other.Join();
            elsewhere.Should().BeNull("the slice belongs to the thread that entered it");
            handle.Dispose();
            handle.Dispose();
            BatchSlice.Current.Should().Be(outer, "disposing twice restores once");
        }
        BatchSlice.Current.Should().BeNull();
        outer.IsWhole.Should().BeFalse();
        new BatchSlice(0, 8, 8).IsWhole.Should().BeTrue();
        foreach (var bad in new BatchSlice[] { new(0, 0, 8), new(-1, 4, 8), new(5, 4, 8) })
            ((Action)(() => BatchSlice.Enter(bad))).Should().Throw<ArgumentOutOfRangeException>($"{bad} is not rows of its batch");
        BatchSlice.Current.Should().BeNull("a refused slice is not entered");
    }
}
