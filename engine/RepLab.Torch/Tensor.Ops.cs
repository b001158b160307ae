using static RepLab.Torch.Native;

namespace RepLab.Torch;

public sealed partial class Tensor
{
    // Op codes of the shim's elementwise and reduction families (replab_torch.h).
    internal enum Bin { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Remainder, Eq, Ne, Lt, Le, Gt, Ge, And, Or, Atan2, FloorDiv, RSub, RDiv, RPow }
    internal enum Un { Neg, Abs, Sign, Exp, Log, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Relu, Silu, Floor, Ceil, Round, Log1p, Expm1, Reciprocal, Not, Square, IsNan, IsInf, IsFinite, Erf, Log2, Trunc, Zero, Mish, Hardswish }
    internal enum Red { Sum, Mean, Prod, Amax, Amin, LogSumExp, All, Any, Norm2, CountNonzero }

    internal Tensor B(Bin op, Tensor other) => Wrap(rl_binary((int)op, H, other.H, out var o), o);
    internal Tensor B(Bin op, double s) => Wrap(rl_binary_scalar((int)op, H, s, 0, out var o), o);
    internal Tensor B(Bin op, long s) => Wrap(rl_binary_scalar((int)op, H, s, 1, out var o), o);
    internal Tensor BI(Bin op, Tensor other) { Check(rl_binary_((int)op, H, other.H)); return this; }
    internal Tensor BI(Bin op, double s) { Check(rl_binary_scalar_((int)op, H, s, 0)); return this; }
    internal Tensor BI(Bin op, long s) { Check(rl_binary_scalar_((int)op, H, s, 1)); return this; }
    internal Tensor U(Un op) => Wrap(rl_unary((int)op, H, out var o), o);
    internal Tensor UI(Un op) { Check(rl_unary_((int)op, H)); return this; }

    internal unsafe Tensor R(Red op, long[]? dims, bool keepdim)
    {
        dims ??= [];
        fixed (long* p = dims) return Wrap(rl_reduce((int)op, H, p, dims.Length, keepdim ? 1 : 0, out var o), o);
    }

    // ---- views and indexing ----

    public unsafe Tensor reshape(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(rl_reshape(H, p, shape.Length, out var o), o);
    }

    public unsafe Tensor view(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(rl_view(H, p, shape.Length, out var o), o);
    }

    public Tensor view_as(Tensor other) => view(other.shape);

    public unsafe Tensor permute(params long[] dims)
    {
        fixed (long* p = dims) return Wrap(rl_permute(H, p, dims.Length, out var o), o);
    }

    public Tensor transpose(long dim0, long dim1) => Wrap(rl_transpose(H, dim0, dim1, out var o), o);

    /// <summary>The transpose of a 2-D tensor.</summary>
    public Tensor t() => transpose(0, 1);

    public Tensor T => transpose(0, 1);

    public Tensor narrow(long dim, long start, long length) => Wrap(rl_narrow(H, dim, start, length, out var o), o);

    /// <summary>Python's <c>t[..., start:end:step, ...]</c> along <paramref name="dim"/>.</summary>
    public Tensor slice(long dim, long start, long end, long step = 1) => Wrap(rl_slice(H, dim, start, end, step, out var o), o);

    public Tensor select(long dim, long index) => Wrap(rl_select(H, dim, index, out var o), o);

    public Tensor this[long index] => select(0, index);

    /// <summary>Advanced indexing <c>t[idx]</c> with an integer or boolean tensor along dim 0.</summary>
    public Tensor this[Tensor indices] => index(indices);

    public Tensor index_select(long dim, Tensor index) => Wrap(rl_index_select(H, dim, index.H, out var o), o);

    /// <summary>Advanced indexing: one index tensor per leading dimension; null keeps that dimension whole.</summary>
    public unsafe Tensor index(params Tensor?[] indices) =>
        WithHandles(indices, raw => Wrap(rl_index(H, (IntPtr*)raw, indices.Length, out var o), o));

    public unsafe Tensor index_put_(Tensor?[] indices, Tensor values, bool accumulate = false)
    {
        WithHandles(indices, raw => { Check(rl_index_put_(H, (IntPtr*)raw, indices.Length, values.H, accumulate ? 1 : 0)); return 0; });
        return this;
    }

    public Tensor masked_select(Tensor mask) => Wrap(rl_masked_select(H, mask.H, out var o), o);

    public Tensor gather(long dim, Tensor index) => Wrap(rl_gather(H, dim, index.H, out var o), o);

    public Tensor scatter(long dim, Tensor index, Tensor src) => Wrap(rl_scatter(H, dim, index.H, src.H, 0, out var o), o);

    public Tensor scatter_add(long dim, Tensor index, Tensor src) => Wrap(rl_scatter(H, dim, index.H, src.H, 1, out var o), o);

    public Tensor scatter_(long dim, Tensor index, Tensor src) { Check(rl_scatter_(H, dim, index.H, src.H, 0)); return this; }

    public Tensor scatter_add_(long dim, Tensor index, Tensor src) { Check(rl_scatter_(H, dim, index.H, src.H, 1)); return this; }

    public Tensor masked_fill(Tensor mask, double value) => Wrap(rl_masked_fill(H, mask.H, value, 0, out var o), o);

    public Tensor masked_fill_(Tensor mask, double value) { Check(rl_masked_fill_(H, mask.H, value, 0)); return this; }

    public unsafe Tensor[] split(long split_size, long dim = 0)
    {
        var n = (int)((size((int)dim) + split_size - 1) / Math.Max(split_size, 1));
        var outs = new IntPtr[Math.Max(n, 1)];
        fixed (IntPtr* p = outs)
        {
            Check(rl_split(H, split_size, dim, p, outs.Length, out var count));
            return outs.Take(count).Select(h => new Tensor(h)).ToArray();
        }
    }

    public unsafe Tensor[] split(long[] sizes, long dim = 0)
    {
        var outs = new IntPtr[sizes.Length];
        fixed (IntPtr* p = outs)
        fixed (long* s = sizes)
        {
            Check(rl_split_sizes(H, s, sizes.Length, dim, p));
            return outs.Select(h => new Tensor(h)).ToArray();
        }
    }

    public unsafe Tensor[] chunk(long chunks, long dim = 0)
    {
        var outs = new IntPtr[Math.Max(chunks, 1)];
        fixed (IntPtr* p = outs)
        {
            Check(rl_chunk(H, chunks, dim, p, outs.Length, out var count));
            return outs.Take(count).Select(h => new Tensor(h)).ToArray();
        }
    }

    public unsafe Tensor flip(params long[] dims)
    {
        fixed (long* p = dims) return Wrap(rl_flip(H, p, dims.Length, out var o), o);
    }

    /// <summary>
    /// <paramref name="k"/> quarter turns in the plane of <paramref name="dim0"/> and <paramref name="dim1"/>
    /// (from <paramref name="dim0"/> towards <paramref name="dim1"/>), as <c>torch.rot90</c>: one turn flips
    /// <paramref name="dim1"/> then transposes, two flip both, three flip <paramref name="dim0"/> then transpose.
    /// </summary>
    public Tensor rot90(long k = 1, long dim0 = 0, long dim1 = 1) => (((k % 4) + 4) % 4) switch
    {
        0 => clone(),
        1 => Rot(flip(dim1), dim0, dim1),
        2 => flip(dim0, dim1),
        _ => Rot(flip(dim0), dim0, dim1),
    };

    private static Tensor Rot(Tensor flipped, long dim0, long dim1)
    {
        using (flipped) return flipped.transpose(dim0, dim1);
    }

    public unsafe Tensor roll(long[] shifts, long[] dims)
    {
        if (shifts.Length != dims.Length) throw new ArgumentException("roll: shifts and dims differ in length");
        fixed (long* s = shifts)
        fixed (long* d = dims) return Wrap(rl_roll(H, s, d, dims.Length, out var o), o);
    }

    public Tensor roll(long shift, long dim) => roll([shift], [dim]);

    public unsafe Tensor expand(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(rl_expand(H, p, shape.Length, out var o), o);
    }

    public Tensor expand_as(Tensor other) => expand(other.shape);

    public unsafe Tensor repeat(params long[] repeats)
    {
        fixed (long* p = repeats) return Wrap(rl_repeat(H, p, repeats.Length, out var o), o);
    }

    public Tensor squeeze() => Wrap(rl_squeeze(H, 0, 1, out var o), o);

    public Tensor squeeze(long dim) => Wrap(rl_squeeze(H, dim, 0, out var o), o);

    public Tensor unsqueeze(long dim) => Wrap(rl_unsqueeze(H, dim, out var o), o);

    public Tensor flatten(long start_dim = 0, long end_dim = -1) => Wrap(rl_flatten(H, start_dim, end_dim, out var o), o);

    public Tensor tril(long diagonal = 0) => Wrap(rl_tril(H, diagonal, 0, out var o), o);

    public Tensor triu(long diagonal = 0) => Wrap(rl_tril(H, diagonal, 1, out var o), o);

    public Tensor diag(long diagonal = 0) => Wrap(rl_diag(H, diagonal, out var o), o);

    // ---- elementwise math ----

    public Tensor add(Tensor other, double alpha = 1) => alpha == 1 ? B(Bin.Add, other) : Wrap(rl_add_scaled(H, other.H, alpha, out var o), o);
    public Tensor add(double other) => B(Bin.Add, other);
    public Tensor add(long other) => B(Bin.Add, other);
    public Tensor mul(long other) => B(Bin.Mul, other);
    public Tensor sub(long other) => B(Bin.Sub, other);
    public Tensor sub(Tensor other, double alpha = 1) => alpha == 1 ? B(Bin.Sub, other) : Wrap(rl_add_scaled(H, other.H, -alpha, out var o), o);
    public Tensor sub(double other) => B(Bin.Sub, other);
    public Tensor mul(Tensor other) => B(Bin.Mul, other);
    public Tensor mul(double other) => B(Bin.Mul, other);
    public Tensor div(Tensor other) => B(Bin.Div, other);
    public Tensor div(double other) => B(Bin.Div, other);
    public Tensor pow(Tensor exponent) => B(Bin.Pow, exponent);
    public Tensor pow(double exponent) => B(Bin.Pow, exponent);
    public Tensor maximum(Tensor other) => B(Bin.Maximum, other);
    public Tensor minimum(Tensor other) => B(Bin.Minimum, other);
    public Tensor remainder(Tensor other) => B(Bin.Remainder, other);
    public Tensor remainder(double other) => B(Bin.Remainder, other);
    public Tensor floor_divide(Tensor other) => B(Bin.FloorDiv, other);
    public Tensor floor_divide(long other) => B(Bin.FloorDiv, other);
    public Tensor atan2(Tensor other) => B(Bin.Atan2, other);
    public Tensor eq(Tensor other) => B(Bin.Eq, other);
    public Tensor eq(double other) => B(Bin.Eq, other);
    public Tensor ne(Tensor other) => B(Bin.Ne, other);
    public Tensor ne(double other) => B(Bin.Ne, other);
    public Tensor lt(Tensor other) => B(Bin.Lt, other);
    public Tensor lt(double other) => B(Bin.Lt, other);
    public Tensor le(Tensor other) => B(Bin.Le, other);
    public Tensor le(double other) => B(Bin.Le, other);
    public Tensor gt(Tensor other) => B(Bin.Gt, other);
    public Tensor gt(double other) => B(Bin.Gt, other);
    public Tensor ge(Tensor other) => B(Bin.Ge, other);
    public Tensor ge(double other) => B(Bin.Ge, other);
    public Tensor logical_and(Tensor other) => B(Bin.And, other);
    public Tensor logical_or(Tensor other) => B(Bin.Or, other);
    public Tensor logical_not() => U(Un.Not);

    public Tensor add_(Tensor other, double alpha = 1)
    {
        if (alpha == 1) return BI(Bin.Add, other);
        Check(rl_add_scaled_(H, other.H, alpha));
        return this;
    }
    public Tensor add_(double other) => BI(Bin.Add, other);
    public Tensor add_(long other) => BI(Bin.Add, other);
    public Tensor sub_(Tensor other, double alpha = 1) => alpha == 1 ? BI(Bin.Sub, other) : add_(other, -alpha);
    public Tensor sub_(double other) => BI(Bin.Sub, other);
    public Tensor sub_(long other) => BI(Bin.Sub, other);
    public Tensor mul_(Tensor other) => BI(Bin.Mul, other);
    public Tensor mul_(double other) => BI(Bin.Mul, other);
    public Tensor mul_(long other) => BI(Bin.Mul, other);
    public Tensor div_(Tensor other) => BI(Bin.Div, other);
    public Tensor div_(double other) => BI(Bin.Div, other);
    public Tensor pow_(double exponent) => BI(Bin.Pow, exponent);
    public Tensor maximum_(Tensor other) => BI(Bin.Maximum, other);

    public Tensor neg() => U(Un.Neg);
    public Tensor abs() => U(Un.Abs);
    public Tensor sign() => U(Un.Sign);
    public Tensor exp() => U(Un.Exp);
    public Tensor log() => U(Un.Log);
    public Tensor log2() => U(Un.Log2);
    public Tensor sqrt() => U(Un.Sqrt);
    public Tensor rsqrt() => U(Un.Rsqrt);
    public Tensor sin() => U(Un.Sin);
    public Tensor cos() => U(Un.Cos);
    public Tensor tanh() => U(Un.Tanh);
    public Tensor sigmoid() => U(Un.Sigmoid);
    public Tensor relu() => U(Un.Relu);
    public Tensor floor() => U(Un.Floor);
    public Tensor ceil() => U(Un.Ceil);
    public Tensor round() => U(Un.Round);
    public Tensor trunc() => U(Un.Trunc);
    public Tensor log1p() => U(Un.Log1p);
    public Tensor expm1() => U(Un.Expm1);
    public Tensor reciprocal() => U(Un.Reciprocal);
    public Tensor square() => U(Un.Square);
    public Tensor erf() => U(Un.Erf);
    public Tensor isnan() => U(Un.IsNan);
    public Tensor isinf() => U(Un.IsInf);
    public Tensor isfinite() => U(Un.IsFinite);

    public Tensor neg_() => UI(Un.Neg);
    public Tensor abs_() => UI(Un.Abs);
    public Tensor exp_() => UI(Un.Exp);
    public Tensor log_() => UI(Un.Log);
    public Tensor sqrt_() => UI(Un.Sqrt);
    public Tensor tanh_() => UI(Un.Tanh);
    public Tensor sigmoid_() => UI(Un.Sigmoid);
    public Tensor relu_() => UI(Un.Relu);
    public Tensor floor_() => UI(Un.Floor);
    public Tensor reciprocal_() => UI(Un.Reciprocal);
    public Tensor square_() => UI(Un.Square);
    public Tensor zero_() => UI(Un.Zero);

    public Tensor fill_(double value) { Check(rl_fill_(H, value, 0)); return this; }

    public Tensor clamp(double? min = null, double? max = null) =>
        Wrap(rl_clamp(H, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0, out var o), o);
    public Tensor clamp_min(double min) => clamp(min, null);
    public Tensor clamp_max(double max) => clamp(null, max);
    public Tensor clamp_(double? min = null, double? max = null)
    {
        Check(rl_clamp_(H, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0));
        return this;
    }
    public Tensor clamp_min_(double min) => clamp_(min, null);

    public Tensor lerp_(Tensor end, double weight) { Check(rl_lerp_(H, end.H, weight)); return this; }
    public Tensor addcmul_(Tensor tensor1, Tensor tensor2, double value = 1) { Check(rl_addcmul_(H, tensor1.H, tensor2.H, value)); return this; }
    public Tensor addcdiv_(Tensor tensor1, Tensor tensor2, double value = 1) { Check(rl_addcdiv_(H, tensor1.H, tensor2.H, value)); return this; }
    public Tensor addcmul(Tensor tensor1, Tensor tensor2, double value = 1) => Wrap(rl_addcmul(H, tensor1.H, tensor2.H, value, out var o), o);
    public Tensor addcdiv(Tensor tensor1, Tensor tensor2, double value = 1) => Wrap(rl_addcdiv(H, tensor1.H, tensor2.H, value, out var o), o);

    public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        Check(rl_uniform_(H, from, to, generator?.Handle ?? GeneratorHandle.Null));
        return this;
    }

    public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        Check(rl_normal_(H, mean, std, generator?.Handle ?? GeneratorHandle.Null));
        return this;
    }

    public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        Check(rl_allclose(H, other.H, rtol, atol, out var r));
        return r != 0;
    }

    /// <summary>Same shape and the same elements exactly.</summary>
    public bool equal(Tensor other)
    {
        Check(rl_equal(H, other.H, out var r));
        return r != 0;
    }

    // ---- reductions ----

    public Tensor sum() => R(Red.Sum, null, false);
    public Tensor sum(long dim, bool keepdim = false) => R(Red.Sum, [dim], keepdim);
    public Tensor sum(long[] dims, bool keepdim = false) => R(Red.Sum, dims, keepdim);
    public Tensor mean() => R(Red.Mean, null, false);
    public Tensor mean(long dim, bool keepdim = false) => R(Red.Mean, [dim], keepdim);
    public Tensor mean(long[] dims, bool keepdim = false) => R(Red.Mean, dims, keepdim);
    public Tensor prod() => R(Red.Prod, null, false);
    public Tensor prod(long dim, bool keepdim = false) => R(Red.Prod, [dim], keepdim);
    public Tensor amax(long dim, bool keepdim = false) => R(Red.Amax, [dim], keepdim);
    public Tensor amin(long dim, bool keepdim = false) => R(Red.Amin, [dim], keepdim);
    public Tensor logsumexp(long dim, bool keepdim = false) => R(Red.LogSumExp, [dim], keepdim);
    public Tensor all() => R(Red.All, null, false);
    public Tensor any() => R(Red.Any, null, false);
    public Tensor count_nonzero() => R(Red.CountNonzero, null, false);

    /// <summary>The largest element.</summary>
    public Tensor max() => R(Red.Amax, null, false);
    public Tensor min() => R(Red.Amin, null, false);

    public (Tensor values, Tensor indices) max(long dim, bool keepdim = false)
    {
        Check(rl_max_dim(H, dim, keepdim ? 1 : 0, 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor values, Tensor indices) min(long dim, bool keepdim = false)
    {
        Check(rl_max_dim(H, dim, keepdim ? 1 : 0, 1, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor argmax() => Wrap(rl_argmax(H, 0, 0, 0, 0, out var o), o);
    public Tensor argmax(long dim, bool keepdim = false) => Wrap(rl_argmax(H, dim, 1, keepdim ? 1 : 0, 0, out var o), o);
    public Tensor argmin(long dim, bool keepdim = false) => Wrap(rl_argmax(H, dim, 1, keepdim ? 1 : 0, 1, out var o), o);

    public unsafe Tensor var(long[]? dims = null, long correction = 1, bool keepdim = false)
    {
        dims ??= [];
        fixed (long* p = dims) return Wrap(rl_var(H, p, dims.Length, correction, keepdim ? 1 : 0, 0, out var o), o);
    }

    public Tensor var(long dim, bool unbiased = true, bool keepdim = false) => var([dim], unbiased ? 1 : 0, keepdim);

    public unsafe Tensor std(long[]? dims = null, long correction = 1, bool keepdim = false)
    {
        dims ??= [];
        fixed (long* p = dims) return Wrap(rl_var(H, p, dims.Length, correction, keepdim ? 1 : 0, 1, out var o), o);
    }

    public Tensor std(long dim, bool unbiased = true, bool keepdim = false) => std([dim], unbiased ? 1 : 0, keepdim);

    public unsafe Tensor norm(double p = 2, long[]? dims = null, bool keepdim = false)
    {
        dims ??= [];
        fixed (long* d = dims) return Wrap(rl_norm(H, p, d, dims.Length, keepdim ? 1 : 0, out var o), o);
    }

    public Tensor norm(double p, long dim, bool keepdim = false) => norm(p, [dim], keepdim);

    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Check(rl_topk(H, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false)
    {
        Check(rl_sort(H, dim, descending ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor cumsum(long dim) => Wrap(rl_cumsum(H, dim, out var o), o);

    // ---- linear algebra ----

    public Tensor matmul(Tensor other) => Wrap(rl_matmul(H, other.H, out var o), o);
    public Tensor mm(Tensor other) => Wrap(rl_mm(H, other.H, out var o), o);
    public Tensor bmm(Tensor other) => Wrap(rl_bmm(H, other.H, out var o), o);

    // ---- operators ----

    public static Tensor operator +(Tensor a, Tensor b) => a.B(Bin.Add, b);
    public static Tensor operator +(Tensor a, double b) => a.B(Bin.Add, b);
    public static Tensor operator +(Tensor a, long b) => a.B(Bin.Add, b);
    public static Tensor operator +(double a, Tensor b) => b.B(Bin.Add, a);
    public static Tensor operator +(long a, Tensor b) => b.B(Bin.Add, a);
    public static Tensor operator -(Tensor a, Tensor b) => a.B(Bin.Sub, b);
    public static Tensor operator -(Tensor a, double b) => a.B(Bin.Sub, b);
    public static Tensor operator -(Tensor a, long b) => a.B(Bin.Sub, b);
    public static Tensor operator -(double a, Tensor b) => b.B(Bin.RSub, a);
    public static Tensor operator -(long a, Tensor b) => b.B(Bin.RSub, a);
    public static Tensor operator *(Tensor a, Tensor b) => a.B(Bin.Mul, b);
    public static Tensor operator *(Tensor a, double b) => a.B(Bin.Mul, b);
    public static Tensor operator *(Tensor a, long b) => a.B(Bin.Mul, b);
    public static Tensor operator *(double a, Tensor b) => b.B(Bin.Mul, a);
    public static Tensor operator *(long a, Tensor b) => b.B(Bin.Mul, a);
    public static Tensor operator /(Tensor a, Tensor b) => a.B(Bin.Div, b);
    public static Tensor operator /(Tensor a, double b) => a.B(Bin.Div, b);
    public static Tensor operator /(Tensor a, long b) => a.B(Bin.Div, b);
    public static Tensor operator /(double a, Tensor b) => b.B(Bin.RDiv, a);
    public static Tensor operator %(Tensor a, Tensor b) => a.B(Bin.Remainder, b);
    public static Tensor operator %(Tensor a, double b) => a.B(Bin.Remainder, b);
    public static Tensor operator -(Tensor a) => a.U(Un.Neg);
    public static Tensor operator <(Tensor a, Tensor b) => a.B(Bin.Lt, b);
    public static Tensor operator >(Tensor a, Tensor b) => a.B(Bin.Gt, b);
    public static Tensor operator <=(Tensor a, Tensor b) => a.B(Bin.Le, b);
    public static Tensor operator >=(Tensor a, Tensor b) => a.B(Bin.Ge, b);
    public static Tensor operator <(Tensor a, double b) => a.B(Bin.Lt, b);
    public static Tensor operator >(Tensor a, double b) => a.B(Bin.Gt, b);
    public static Tensor operator <=(Tensor a, double b) => a.B(Bin.Le, b);
    public static Tensor operator >=(Tensor a, double b) => a.B(Bin.Ge, b);
    public static Tensor operator &(Tensor a, Tensor b) => a.B(Bin.And, b);
    public static Tensor operator |(Tensor a, Tensor b) => a.B(Bin.Or, b);
    public static Tensor operator !(Tensor a) => a.U(Un.Not);
}
