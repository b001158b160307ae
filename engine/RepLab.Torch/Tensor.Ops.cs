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

    /// <summary><c>torch.reshape</c>: the same elements in <paramref name="shape"/> (one entry may be -1, inferred). A view when the strides allow it, otherwise a copy.</summary>
    public unsafe Tensor reshape(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(rl_reshape(H, p, shape.Length, out var o), o);
    }

    /// <summary><c>Tensor.view</c>: a view with a new <paramref name="shape"/> (one entry may be -1); throws when the strides do not allow a view (use <see cref="reshape"/> or <see cref="contiguous"/> first).</summary>
    public unsafe Tensor view(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(rl_view(H, p, shape.Length, out var o), o);
    }

    /// <summary><c>Tensor.view_as</c>: <see cref="view"/> with the shape of <paramref name="other"/>.</summary>
    public Tensor view_as(Tensor other) => view(other.shape);

    /// <summary><c>Tensor.permute</c>: a view with the dimensions reordered; <paramref name="dims"/> lists every dimension once, e.g. <c>permute(0, 2, 3, 1)</c> turns NCHW into NHWC.</summary>
    public unsafe Tensor permute(params long[] dims)
    {
        fixed (long* p = dims) return Wrap(rl_permute(H, p, dims.Length, out var o), o);
    }

    /// <summary><c>torch.transpose</c>: a view with <paramref name="dim0"/> and <paramref name="dim1"/> swapped (negative dimensions count from the end).</summary>
    public Tensor transpose(long dim0, long dim1) => Wrap(rl_transpose(H, dim0, dim1, out var o), o);

    /// <summary>The transpose of a 2-D tensor.</summary>
    public Tensor t() => transpose(0, 1);

    /// <summary><c>Tensor.T</c> for a 2-D tensor: the same as <see cref="t"/> (dimensions 0 and 1 swapped; PyTorch's <c>T</c> reverses all dimensions, this one swaps only the first two).</summary>
    public Tensor T => transpose(0, 1);

    /// <summary><c>torch.narrow</c>: a view of <paramref name="length"/> elements along <paramref name="dim"/> from <paramref name="start"/>, i.e. <c>t[..., start:start+length, ...]</c>.</summary>
    public Tensor narrow(long dim, long start, long length) => Wrap(rl_narrow(H, dim, start, length, out var o), o);

    /// <summary>Python's <c>t[..., start:end:step, ...]</c> along <paramref name="dim"/>.</summary>
    public Tensor slice(long dim, long start, long end, long step = 1) => Wrap(rl_slice(H, dim, start, end, step, out var o), o);

    /// <summary><c>torch.select</c>: the view <c>t[..., index, ...]</c> at <paramref name="index"/> along <paramref name="dim"/>, which is removed from the shape.</summary>
    public Tensor select(long dim, long index) => Wrap(rl_select(H, dim, index, out var o), o);

    /// <summary>Python's <c>t[index]</c>: <see cref="select"/> along dimension 0 (a view, one dimension fewer). There is no multi-index <c>t[i, j]</c> indexer: chain <c>t[i][j]</c> or use <see cref="select"/>, <see cref="slice"/>, <see cref="narrow"/> or <see cref="index"/>.</summary>
    public Tensor this[long index] => select(0, index);

    /// <summary>Advanced indexing <c>t[idx]</c> with an integer or boolean tensor along dim 0.</summary>
    public Tensor this[Tensor indices] => index(indices);

    /// <summary><c>torch.index_select</c>: the entries of <paramref name="index"/> (a 1-D int64 tensor) along <paramref name="dim"/>, copied.</summary>
    public Tensor index_select(long dim, Tensor index) => Wrap(rl_index_select(H, dim, index.H, out var o), o);

    /// <summary>Advanced indexing: one index tensor per leading dimension; null keeps that dimension whole.</summary>
    public unsafe Tensor index(params Tensor?[] indices) =>
        WithHandles(indices, raw => Wrap(rl_index(H, (IntPtr*)raw, indices.Length, out var o), o));

    /// <summary><c>Tensor.index_put_</c>: in place <c>t[indices] = values</c> (or <c>+=</c> with <paramref name="accumulate"/>, which sums repeated indices); one index tensor per leading dimension, null keeps a dimension whole. Returns this tensor.</summary>
    public unsafe Tensor index_put_(Tensor?[] indices, Tensor values, bool accumulate = false)
    {
        WithHandles(indices, raw => { Check(rl_index_put_(H, (IntPtr*)raw, indices.Length, values.H, accumulate ? 1 : 0)); return 0; });
        return this;
    }

    /// <summary><c>torch.masked_select</c>: the elements where the boolean <paramref name="mask"/> (broadcast to this shape) is true, as a new 1-D tensor.</summary>
    public Tensor masked_select(Tensor mask) => Wrap(rl_masked_select(H, mask.H, out var o), o);

    /// <summary><c>torch.gather</c>: <c>out[i][j] = t[index[i][j]][j]</c> for <paramref name="dim"/> 0 (and likewise for other dims); <paramref name="index"/> is int64 with the output's shape.</summary>
    public Tensor gather(long dim, Tensor index) => Wrap(rl_gather(H, dim, index.H, out var o), o);

    /// <summary><c>torch.scatter</c> (out of place): a copy with <c>out[index[i][j]][j] = src[i][j]</c> for <paramref name="dim"/> 0 (and likewise for other dims). Takes a source tensor only (no scalar <c>value</c> overload).</summary>
    public Tensor scatter(long dim, Tensor index, Tensor src) => Wrap(rl_scatter(H, dim, index.H, src.H, 0, out var o), o);

    /// <summary><c>torch.scatter_add</c> (out of place): like <see cref="scatter"/> but adds <paramref name="src"/> into the copy, summing repeated indices.</summary>
    public Tensor scatter_add(long dim, Tensor index, Tensor src) => Wrap(rl_scatter(H, dim, index.H, src.H, 1, out var o), o);

    /// <summary><c>Tensor.scatter_</c>: <see cref="scatter"/> in place; returns this tensor.</summary>
    public Tensor scatter_(long dim, Tensor index, Tensor src) { Check(rl_scatter_(H, dim, index.H, src.H, 0)); return this; }

    /// <summary><c>Tensor.scatter_add_</c>: <see cref="scatter_add"/> in place; returns this tensor.</summary>
    public Tensor scatter_add_(long dim, Tensor index, Tensor src) { Check(rl_scatter_(H, dim, index.H, src.H, 1)); return this; }

    /// <summary><c>Tensor.masked_fill</c>: a copy with <paramref name="value"/> where the boolean <paramref name="mask"/> (broadcast) is true.</summary>
    public Tensor masked_fill(Tensor mask, double value) => Wrap(rl_masked_fill(H, mask.H, value, 0, out var o), o);

    /// <summary><c>Tensor.masked_fill_</c>: <see cref="masked_fill"/> in place; returns this tensor.</summary>
    public Tensor masked_fill_(Tensor mask, double value) { Check(rl_masked_fill_(H, mask.H, value, 0)); return this; }

    /// <summary><c>torch.split</c> with an int: views of <paramref name="split_size"/> elements along <paramref name="dim"/> (the last one may be shorter). Each view is a new tensor the caller owns.</summary>
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

    /// <summary><c>torch.split</c> with a list: views of the given <paramref name="sizes"/> along <paramref name="dim"/>, which must sum to its length.</summary>
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

    /// <summary><c>torch.chunk</c>: up to <paramref name="chunks"/> views of equal size along <paramref name="dim"/> (the last may be smaller, and there may be fewer, as in PyTorch).</summary>
    public unsafe Tensor[] chunk(long chunks, long dim = 0)
    {
        var outs = new IntPtr[Math.Max(chunks, 1)];
        fixed (IntPtr* p = outs)
        {
            Check(rl_chunk(H, chunks, dim, p, outs.Length, out var count));
            return outs.Take(count).Select(h => new Tensor(h)).ToArray();
        }
    }

    /// <summary><c>torch.flip</c>: a copy with the order of elements reversed along each of <paramref name="dims"/>.</summary>
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

    /// <summary><c>torch.roll</c>: a copy shifted circularly by <paramref name="shifts"/>[i] along <paramref name="dims"/>[i]. PyTorch also rolls the flattened tensor when no dims are given; here <paramref name="dims"/> is required and must match <paramref name="shifts"/> in length.</summary>
    public unsafe Tensor roll(long[] shifts, long[] dims)
    {
        if (shifts.Length != dims.Length) throw new ArgumentException("roll: shifts and dims differ in length");
        fixed (long* s = shifts)
        fixed (long* d = dims) return Wrap(rl_roll(H, s, d, dims.Length, out var o), o);
    }

    /// <summary><c>torch.roll</c> along one dimension.</summary>
    public Tensor roll(long shift, long dim) => roll([shift], [dim]);

    /// <summary><c>Tensor.expand</c>: a broadcast view with size-1 dimensions stretched to <paramref name="shape"/> (-1 keeps a size; no copy, the stretched dimension has stride 0).</summary>
    public unsafe Tensor expand(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(rl_expand(H, p, shape.Length, out var o), o);
    }

    /// <summary><c>Tensor.expand_as</c>: <see cref="expand"/> to the shape of <paramref name="other"/>.</summary>
    public Tensor expand_as(Tensor other) => expand(other.shape);

    /// <summary><c>Tensor.repeat</c>: a copy tiled <paramref name="repeats"/>[i] times along each dimension (numpy's <c>tile</c>, not <c>repeat_interleave</c>).</summary>
    public unsafe Tensor repeat(params long[] repeats)
    {
        fixed (long* p = repeats) return Wrap(rl_repeat(H, p, repeats.Length, out var o), o);
    }

    /// <summary><c>torch.squeeze</c>: a view without any size-1 dimension.</summary>
    public Tensor squeeze() => Wrap(rl_squeeze(H, 0, 1, out var o), o);

    /// <summary><c>torch.squeeze(dim)</c>: a view without dimension <paramref name="dim"/> if its size is 1 (otherwise the same shape).</summary>
    public Tensor squeeze(long dim) => Wrap(rl_squeeze(H, dim, 0, out var o), o);

    /// <summary><c>torch.unsqueeze</c>: a view with a size-1 dimension inserted at <paramref name="dim"/> (negative counts from the end of the result).</summary>
    public Tensor unsqueeze(long dim) => Wrap(rl_unsqueeze(H, dim, out var o), o);

    /// <summary><c>torch.flatten</c>: dimensions <paramref name="start_dim"/>..<paramref name="end_dim"/> merged into one (a view when possible). <c>x.flatten(1)</c> turns N×C×H×W into N×(C·H·W).</summary>
    public Tensor flatten(long start_dim = 0, long end_dim = -1) => Wrap(rl_flatten(H, start_dim, end_dim, out var o), o);

    /// <summary><c>torch.tril</c>: a copy with the elements above the <paramref name="diagonal"/>-th diagonal (of the last two dimensions) zeroed.</summary>
    public Tensor tril(long diagonal = 0) => Wrap(rl_tril(H, diagonal, 0, out var o), o);

    /// <summary><c>torch.triu</c>: a copy with the elements below the <paramref name="diagonal"/>-th diagonal (of the last two dimensions) zeroed.</summary>
    public Tensor triu(long diagonal = 0) => Wrap(rl_tril(H, diagonal, 1, out var o), o);

    /// <summary><c>torch.diag</c>: for a 1-D tensor, a square matrix with it on the <paramref name="diagonal"/>-th diagonal; for a 2-D tensor, that diagonal as a 1-D copy. There is no <c>diagonal</c>/<c>diag_embed</c> (batched diagonals).</summary>
    public Tensor diag(long diagonal = 0) => Wrap(rl_diag(H, diagonal, out var o), o);

    // ---- elementwise math ----

    /// <summary><c>torch.add</c>: <c>this + alpha * other</c>, broadcasting. Like <c>+</c> when <paramref name="alpha"/> is 1.</summary>
    public Tensor add(Tensor other, double alpha = 1) => alpha == 1 ? B(Bin.Add, other) : Wrap(rl_add_scaled(H, other.H, alpha, out var o), o);
    /// <summary><c>this + other</c> for a scalar. As in PyTorch, a float tensor keeps its dtype (float32 stays float32) and an integer tensor becomes floating-point; use the <c>long</c> overload to stay integral.</summary>
    public Tensor add(double other) => B(Bin.Add, other);
    /// <summary><c>this + other</c> for an integer scalar (keeps an integer dtype integer).</summary>
    public Tensor add(long other) => B(Bin.Add, other);
    /// <summary><c>this * other</c> for an integer scalar (keeps an integer dtype integer).</summary>
    public Tensor mul(long other) => B(Bin.Mul, other);
    /// <summary><c>this - other</c> for an integer scalar.</summary>
    public Tensor sub(long other) => B(Bin.Sub, other);
    /// <summary><c>torch.sub</c>: <c>this - alpha * other</c>, broadcasting.</summary>
    public Tensor sub(Tensor other, double alpha = 1) => alpha == 1 ? B(Bin.Sub, other) : Wrap(rl_add_scaled(H, other.H, -alpha, out var o), o);
    /// <summary><c>this - other</c> for a scalar.</summary>
    public Tensor sub(double other) => B(Bin.Sub, other);
    /// <summary><c>torch.mul</c>: elementwise product, broadcasting (not a matrix product: see <see cref="matmul"/>).</summary>
    public Tensor mul(Tensor other) => B(Bin.Mul, other);
    /// <summary><c>this * other</c> for a scalar.</summary>
    public Tensor mul(double other) => B(Bin.Mul, other);
    /// <summary><c>torch.div</c>: true division, broadcasting (integer inputs give a float result, as in PyTorch; no <c>rounding_mode</c>: see <see cref="floor_divide(Tensor)"/>).</summary>
    public Tensor div(Tensor other) => B(Bin.Div, other);
    /// <summary><c>this / other</c> for a scalar.</summary>
    public Tensor div(double other) => B(Bin.Div, other);
    /// <summary><c>torch.pow</c>: elementwise power with a tensor exponent, broadcasting.</summary>
    public Tensor pow(Tensor exponent) => B(Bin.Pow, exponent);
    /// <summary><c>torch.pow</c>: elementwise power with a scalar exponent.</summary>
    public Tensor pow(double exponent) => B(Bin.Pow, exponent);
    /// <summary><c>torch.maximum</c>: elementwise larger of the two (broadcasting); NaN propagates.</summary>
    public Tensor maximum(Tensor other) => B(Bin.Maximum, other);
    /// <summary><c>torch.minimum</c>: elementwise smaller of the two (broadcasting); NaN propagates.</summary>
    public Tensor minimum(Tensor other) => B(Bin.Minimum, other);
    /// <summary><c>torch.remainder</c>: Python's modulus (the sign of the divisor), elementwise.</summary>
    public Tensor remainder(Tensor other) => B(Bin.Remainder, other);
    /// <summary><c>torch.remainder</c> with a scalar divisor.</summary>
    public Tensor remainder(double other) => B(Bin.Remainder, other);
    /// <summary><c>torch.floor_divide</c>: <c>floor(this / other)</c> elementwise (PyTorch's <c>//</c>).</summary>
    public Tensor floor_divide(Tensor other) => B(Bin.FloorDiv, other);
    /// <summary><c>torch.floor_divide</c> with an integer divisor (Python's <c>t // n</c>).</summary>
    public Tensor floor_divide(long other) => B(Bin.FloorDiv, other);
    /// <summary><c>torch.atan2</c>: the angle of (<paramref name="other"/>, this), i.e. <c>atan2(this, other)</c> elementwise, in radians.</summary>
    public Tensor atan2(Tensor other) => B(Bin.Atan2, other);
    /// <summary><c>torch.eq</c>: a boolean tensor, true where the elements are equal. (C#'s <c>==</c> stays reference equality; use this.)</summary>
    public Tensor eq(Tensor other) => B(Bin.Eq, other);
    /// <summary><c>torch.eq</c> with a scalar: a boolean tensor.</summary>
    public Tensor eq(double other) => B(Bin.Eq, other);
    /// <summary><c>torch.ne</c>: a boolean tensor, true where the elements differ. (C#'s <c>!=</c> stays reference inequality.)</summary>
    public Tensor ne(Tensor other) => B(Bin.Ne, other);
    /// <summary><c>torch.ne</c> with a scalar: a boolean tensor.</summary>
    public Tensor ne(double other) => B(Bin.Ne, other);
    /// <summary><c>torch.lt</c>: boolean <c>this &lt; other</c>.</summary>
    public Tensor lt(Tensor other) => B(Bin.Lt, other);
    /// <summary><c>torch.lt</c>: boolean <c>this &lt; other</c>.</summary>
    public Tensor lt(double other) => B(Bin.Lt, other);
    /// <summary><c>torch.le</c>: boolean <c>this &lt;= other</c>.</summary>
    public Tensor le(Tensor other) => B(Bin.Le, other);
    /// <summary><c>torch.le</c>: boolean <c>this &lt;= other</c>.</summary>
    public Tensor le(double other) => B(Bin.Le, other);
    /// <summary><c>torch.gt</c>: boolean <c>this &gt; other</c>.</summary>
    public Tensor gt(Tensor other) => B(Bin.Gt, other);
    /// <summary><c>torch.gt</c>: boolean <c>this &gt; other</c>.</summary>
    public Tensor gt(double other) => B(Bin.Gt, other);
    /// <summary><c>torch.ge</c>: boolean <c>this &gt;= other</c>.</summary>
    public Tensor ge(Tensor other) => B(Bin.Ge, other);
    /// <summary><c>torch.ge</c>: boolean <c>this &gt;= other</c>.</summary>
    public Tensor ge(double other) => B(Bin.Ge, other);
    /// <summary><c>torch.logical_and</c>: a boolean tensor (non-zero counts as true). Same as <c>&amp;</c>.</summary>
    public Tensor logical_and(Tensor other) => B(Bin.And, other);
    /// <summary><c>torch.logical_or</c>: a boolean tensor (non-zero counts as true). Same as <c>|</c>.</summary>
    public Tensor logical_or(Tensor other) => B(Bin.Or, other);
    /// <summary><c>torch.logical_not</c>: a boolean tensor, true where the element is zero. Same as <c>!</c>.</summary>
    public Tensor logical_not() => U(Un.Not);

    /// <summary><c>Tensor.add_</c>: in place <c>this += alpha * other</c>; returns this tensor.</summary>
    public Tensor add_(Tensor other, double alpha = 1)
    {
        if (alpha == 1) return BI(Bin.Add, other);
        Check(rl_add_scaled_(H, other.H, alpha));
        return this;
    }
    /// <summary>In place <c>this += other</c>; returns this tensor.</summary>
    public Tensor add_(double other) => BI(Bin.Add, other);
    /// <summary>In place <c>this += other</c> for an integer scalar; returns this tensor.</summary>
    public Tensor add_(long other) => BI(Bin.Add, other);
    /// <summary><c>Tensor.sub_</c>: in place <c>this -= alpha * other</c>; returns this tensor.</summary>
    public Tensor sub_(Tensor other, double alpha = 1) => alpha == 1 ? BI(Bin.Sub, other) : add_(other, -alpha);
    /// <summary>In place <c>this -= other</c>; returns this tensor.</summary>
    public Tensor sub_(double other) => BI(Bin.Sub, other);
    /// <summary>In place <c>this -= other</c> for an integer scalar; returns this tensor.</summary>
    public Tensor sub_(long other) => BI(Bin.Sub, other);
    /// <summary>In place elementwise <c>this *= other</c>; returns this tensor.</summary>
    public Tensor mul_(Tensor other) => BI(Bin.Mul, other);
    /// <summary>In place <c>this *= other</c>; returns this tensor.</summary>
    public Tensor mul_(double other) => BI(Bin.Mul, other);
    /// <summary>In place <c>this *= other</c> for an integer scalar; returns this tensor.</summary>
    public Tensor mul_(long other) => BI(Bin.Mul, other);
    /// <summary>In place elementwise <c>this /= other</c>; returns this tensor.</summary>
    public Tensor div_(Tensor other) => BI(Bin.Div, other);
    /// <summary>In place <c>this /= other</c>; returns this tensor.</summary>
    public Tensor div_(double other) => BI(Bin.Div, other);
    /// <summary>In place <c>this = this ** exponent</c>; returns this tensor.</summary>
    public Tensor pow_(double exponent) => BI(Bin.Pow, exponent);
    /// <summary>In place <c>this = maximum(this, other)</c> (there is no such method in PyTorch; it saves a copy in optimizers); returns this tensor.</summary>
    public Tensor maximum_(Tensor other) => BI(Bin.Maximum, other);

    /// <summary><c>torch.neg</c>: <c>-this</c>.</summary>
    public Tensor neg() => U(Un.Neg);
    /// <summary><c>torch.abs</c>.</summary>
    public Tensor abs() => U(Un.Abs);
    /// <summary><c>torch.sign</c>: -1, 0 or 1 elementwise.</summary>
    public Tensor sign() => U(Un.Sign);
    /// <summary><c>torch.exp</c>.</summary>
    public Tensor exp() => U(Un.Exp);
    /// <summary><c>torch.log</c>: the natural logarithm.</summary>
    public Tensor log() => U(Un.Log);
    /// <summary><c>torch.log2</c>.</summary>
    public Tensor log2() => U(Un.Log2);
    /// <summary><c>torch.sqrt</c>.</summary>
    public Tensor sqrt() => U(Un.Sqrt);
    /// <summary><c>torch.rsqrt</c>: <c>1 / sqrt(x)</c>.</summary>
    public Tensor rsqrt() => U(Un.Rsqrt);
    /// <summary><c>torch.sin</c>.</summary>
    public Tensor sin() => U(Un.Sin);
    /// <summary><c>torch.cos</c>.</summary>
    public Tensor cos() => U(Un.Cos);
    /// <summary><c>torch.tanh</c>.</summary>
    public Tensor tanh() => U(Un.Tanh);
    /// <summary><c>torch.sigmoid</c>: <c>1 / (1 + exp(-x))</c>.</summary>
    public Tensor sigmoid() => U(Un.Sigmoid);
    /// <summary><c>torch.relu</c>: <c>max(x, 0)</c>.</summary>
    public Tensor relu() => U(Un.Relu);
    /// <summary><c>torch.floor</c>.</summary>
    public Tensor floor() => U(Un.Floor);
    /// <summary><c>torch.ceil</c>.</summary>
    public Tensor ceil() => U(Un.Ceil);
    /// <summary><c>torch.round</c>: half to even, as in PyTorch (no <c>decimals</c> argument).</summary>
    public Tensor round() => U(Un.Round);
    /// <summary><c>torch.trunc</c>: rounds towards zero.</summary>
    public Tensor trunc() => U(Un.Trunc);
    /// <summary><c>torch.log1p</c>: <c>log(1 + x)</c>, accurate for small x.</summary>
    public Tensor log1p() => U(Un.Log1p);
    /// <summary><c>torch.expm1</c>: <c>exp(x) - 1</c>, accurate for small x.</summary>
    public Tensor expm1() => U(Un.Expm1);
    /// <summary><c>torch.reciprocal</c>: <c>1 / x</c>.</summary>
    public Tensor reciprocal() => U(Un.Reciprocal);
    /// <summary><c>torch.square</c>: <c>x * x</c>.</summary>
    public Tensor square() => U(Un.Square);
    /// <summary><c>torch.erf</c>: the Gauss error function.</summary>
    public Tensor erf() => U(Un.Erf);
    /// <summary><c>torch.isnan</c>: a boolean tensor.</summary>
    public Tensor isnan() => U(Un.IsNan);
    /// <summary><c>torch.isinf</c>: a boolean tensor, true at ±infinity.</summary>
    public Tensor isinf() => U(Un.IsInf);
    /// <summary><c>torch.isfinite</c>: a boolean tensor, false at NaN and ±infinity.</summary>
    public Tensor isfinite() => U(Un.IsFinite);

    /// <summary>In place <see cref="neg"/>; returns this tensor.</summary>
    public Tensor neg_() => UI(Un.Neg);
    /// <summary>In place <see cref="abs"/>; returns this tensor.</summary>
    public Tensor abs_() => UI(Un.Abs);
    /// <summary>In place <see cref="exp"/>; returns this tensor.</summary>
    public Tensor exp_() => UI(Un.Exp);
    /// <summary>In place <see cref="log"/>; returns this tensor.</summary>
    public Tensor log_() => UI(Un.Log);
    /// <summary>In place <see cref="sqrt"/>; returns this tensor.</summary>
    public Tensor sqrt_() => UI(Un.Sqrt);
    /// <summary>In place <see cref="tanh"/>; returns this tensor.</summary>
    public Tensor tanh_() => UI(Un.Tanh);
    /// <summary>In place <see cref="sigmoid"/>; returns this tensor.</summary>
    public Tensor sigmoid_() => UI(Un.Sigmoid);
    /// <summary>In place <see cref="relu"/>; returns this tensor.</summary>
    public Tensor relu_() => UI(Un.Relu);
    /// <summary>In place <see cref="floor"/>; returns this tensor.</summary>
    public Tensor floor_() => UI(Un.Floor);
    /// <summary>In place <see cref="reciprocal"/>; returns this tensor.</summary>
    public Tensor reciprocal_() => UI(Un.Reciprocal);
    /// <summary>In place <see cref="square"/>; returns this tensor.</summary>
    public Tensor square_() => UI(Un.Square);
    /// <summary><c>Tensor.zero_</c>: sets every element to 0 in place; returns this tensor.</summary>
    public Tensor zero_() => UI(Un.Zero);

    /// <summary><c>Tensor.fill_</c>: sets every element to <paramref name="value"/> in place; returns this tensor.</summary>
    public Tensor fill_(double value) { Check(rl_fill_(H, value, 0)); return this; }

    /// <summary><c>torch.clamp</c>: elements limited to [<paramref name="min"/>, <paramref name="max"/>]; a null bound is not applied. Scalar bounds only (PyTorch also takes tensors).</summary>
    public Tensor clamp(double? min = null, double? max = null) =>
        Wrap(rl_clamp(H, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0, out var o), o);
    /// <summary><c>torch.clamp_min</c>: <c>clamp(min: min)</c>.</summary>
    public Tensor clamp_min(double min) => clamp(min, null);
    /// <summary><c>torch.clamp_max</c>: <c>clamp(max: max)</c>.</summary>
    public Tensor clamp_max(double max) => clamp(null, max);
    /// <summary><c>Tensor.clamp_</c>: <see cref="clamp"/> in place; returns this tensor.</summary>
    public Tensor clamp_(double? min = null, double? max = null)
    {
        Check(rl_clamp_(H, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0));
        return this;
    }
    /// <summary><c>Tensor.clamp_min_</c>: <see cref="clamp_min"/> in place; returns this tensor.</summary>
    public Tensor clamp_min_(double min) => clamp_(min, null);

    /// <summary><c>Tensor.lerp_</c>: in place <c>this += weight * (end - this)</c> (a scalar weight only); returns this tensor. The step of an exponential moving average.</summary>
    public Tensor lerp_(Tensor end, double weight) { Check(rl_lerp_(H, end.H, weight)); return this; }
    /// <summary><c>Tensor.addcmul_</c>: in place <c>this += value * tensor1 * tensor2</c>; returns this tensor. PyTorch's <c>value</c> is keyword-only; here it is the third positional argument.</summary>
    public Tensor addcmul_(Tensor tensor1, Tensor tensor2, double value = 1) { Check(rl_addcmul_(H, tensor1.H, tensor2.H, value)); return this; }
    /// <summary><c>Tensor.addcdiv_</c>: in place <c>this += value * tensor1 / tensor2</c>; returns this tensor.</summary>
    public Tensor addcdiv_(Tensor tensor1, Tensor tensor2, double value = 1) { Check(rl_addcdiv_(H, tensor1.H, tensor2.H, value)); return this; }
    /// <summary><c>torch.addcmul</c>: <c>this + value * tensor1 * tensor2</c>.</summary>
    public Tensor addcmul(Tensor tensor1, Tensor tensor2, double value = 1) => Wrap(rl_addcmul(H, tensor1.H, tensor2.H, value, out var o), o);
    /// <summary><c>torch.addcdiv</c>: <c>this + value * tensor1 / tensor2</c>.</summary>
    public Tensor addcdiv(Tensor tensor1, Tensor tensor2, double value = 1) => Wrap(rl_addcdiv(H, tensor1.H, tensor2.H, value, out var o), o);

    /// <summary><c>Tensor.uniform_</c>: fills in place from U(<paramref name="from"/>, <paramref name="to"/>), drawing from <paramref name="generator"/> or, when null, the global generator (<see cref="torch.manual_seed"/>); returns this tensor.</summary>
    public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        Check(rl_uniform_(H, from, to, generator?.Handle ?? GeneratorHandle.Null));
        return this;
    }

    /// <summary><c>Tensor.normal_</c>: fills in place from N(<paramref name="mean"/>, <paramref name="std"/>²), drawing from <paramref name="generator"/> or the global generator; returns this tensor.</summary>
    public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        Check(rl_normal_(H, mean, std, generator?.Handle ?? GeneratorHandle.Null));
        return this;
    }

    /// <summary><c>torch.allclose</c>: whether <c>|this - other| &lt;= atol + rtol * |other|</c> for every element (shapes must broadcast).</summary>
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

    /// <summary><c>torch.sum</c>: the sum of all elements, a 0-d tensor (integer and bool inputs sum to int64, as in PyTorch).</summary>
    public Tensor sum() => R(Red.Sum, null, false);
    /// <summary><c>torch.sum(dim)</c>: the sum along <paramref name="dim"/>, which is removed unless <paramref name="keepdim"/>.</summary>
    public Tensor sum(long dim, bool keepdim = false) => R(Red.Sum, [dim], keepdim);
    /// <summary><c>torch.sum(dims)</c>: the sum over several dimensions.</summary>
    public Tensor sum(long[] dims, bool keepdim = false) => R(Red.Sum, dims, keepdim);
    /// <summary><c>torch.mean</c>: the mean of all elements, a 0-d tensor (floating-point inputs only).</summary>
    public Tensor mean() => R(Red.Mean, null, false);
    /// <summary><c>torch.mean(dim)</c>: the mean along <paramref name="dim"/>.</summary>
    public Tensor mean(long dim, bool keepdim = false) => R(Red.Mean, [dim], keepdim);
    /// <summary><c>torch.mean(dims)</c>: the mean over several dimensions, e.g. <c>mean([2, 3])</c> pools N×C×H×W to N×C.</summary>
    public Tensor mean(long[] dims, bool keepdim = false) => R(Red.Mean, dims, keepdim);
    /// <summary><c>torch.prod</c>: the product of all elements, a 0-d tensor.</summary>
    public Tensor prod() => R(Red.Prod, null, false);
    /// <summary><c>torch.prod(dim)</c>: the product along <paramref name="dim"/>.</summary>
    public Tensor prod(long dim, bool keepdim = false) => R(Red.Prod, [dim], keepdim);
    /// <summary><c>torch.amax</c>: the largest value along <paramref name="dim"/> (values only; see <see cref="max(long, bool)"/> for indices too).</summary>
    public Tensor amax(long dim, bool keepdim = false) => R(Red.Amax, [dim], keepdim);
    /// <summary><c>torch.amin</c>: the smallest value along <paramref name="dim"/>.</summary>
    public Tensor amin(long dim, bool keepdim = false) => R(Red.Amin, [dim], keepdim);
    /// <summary><c>torch.logsumexp</c>: <c>log(sum(exp(x)))</c> along <paramref name="dim"/>, computed stably.</summary>
    public Tensor logsumexp(long dim, bool keepdim = false) => R(Red.LogSumExp, [dim], keepdim);
    /// <summary><c>torch.all</c>: a 0-d boolean tensor, true when every element is non-zero (read it with <c>item&lt;bool&gt;()</c>).</summary>
    public Tensor all() => R(Red.All, null, false);
    /// <summary><c>torch.any</c>: a 0-d boolean tensor, true when some element is non-zero.</summary>
    public Tensor any() => R(Red.Any, null, false);
    /// <summary><c>torch.count_nonzero</c>: the number of non-zero elements, a 0-d int64 tensor.</summary>
    public Tensor count_nonzero() => R(Red.CountNonzero, null, false);

    /// <summary>The largest element.</summary>
    public Tensor max() => R(Red.Amax, null, false);
    /// <summary>The smallest element, a 0-d tensor.</summary>
    public Tensor min() => R(Red.Amin, null, false);

    /// <summary><c>torch.max(dim)</c>: the largest values along <paramref name="dim"/> and their int64 indices (a C# tuple for PyTorch's named tuple). The caller owns both.</summary>
    public (Tensor values, Tensor indices) max(long dim, bool keepdim = false)
    {
        Check(rl_max_dim(H, dim, keepdim ? 1 : 0, 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary><c>torch.min(dim)</c>: the smallest values along <paramref name="dim"/> and their int64 indices.</summary>
    public (Tensor values, Tensor indices) min(long dim, bool keepdim = false)
    {
        Check(rl_max_dim(H, dim, keepdim ? 1 : 0, 1, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary><c>torch.argmax</c>: the index of the largest element of the flattened tensor, a 0-d int64 tensor.</summary>
    public Tensor argmax() => Wrap(rl_argmax(H, 0, 0, 0, 0, out var o), o);
    /// <summary><c>torch.argmax(dim)</c>: the int64 indices of the largest values along <paramref name="dim"/>.</summary>
    public Tensor argmax(long dim, bool keepdim = false) => Wrap(rl_argmax(H, dim, 1, keepdim ? 1 : 0, 0, out var o), o);
    /// <summary><c>torch.argmin(dim)</c>: the int64 indices of the smallest values along <paramref name="dim"/>.</summary>
    public Tensor argmin(long dim, bool keepdim = false) => Wrap(rl_argmax(H, dim, 1, keepdim ? 1 : 0, 1, out var o), o);

    /// <summary><c>torch.var</c> with <c>correction</c>: the variance over <paramref name="dims"/> (all when null), dividing by N - <paramref name="correction"/> (1: unbiased, as PyTorch's default; 0: population).</summary>
    public unsafe Tensor var(long[]? dims = null, long correction = 1, bool keepdim = false)
    {
        dims ??= [];
        fixed (long* p = dims) return Wrap(rl_var(H, p, dims.Length, correction, keepdim ? 1 : 0, 0, out var o), o);
    }

    /// <summary><c>torch.var(dim, unbiased)</c>: the variance along one dimension (PyTorch 1.x's <c>unbiased</c> flag).</summary>
    public Tensor var(long dim, bool unbiased = true, bool keepdim = false) => var([dim], unbiased ? 1 : 0, keepdim);

    /// <summary><c>torch.std</c> with <c>correction</c>: the standard deviation over <paramref name="dims"/> (all when null); see <see cref="var(long[], long, bool)"/>.</summary>
    public unsafe Tensor std(long[]? dims = null, long correction = 1, bool keepdim = false)
    {
        dims ??= [];
        fixed (long* p = dims) return Wrap(rl_var(H, p, dims.Length, correction, keepdim ? 1 : 0, 1, out var o), o);
    }

    /// <summary><c>torch.std(dim, unbiased)</c>: the standard deviation along one dimension.</summary>
    public Tensor std(long dim, bool unbiased = true, bool keepdim = false) => std([dim], unbiased ? 1 : 0, keepdim);

    /// <summary><c>torch.norm</c>: the <paramref name="p"/>-norm over <paramref name="dims"/> (all elements when null; the Frobenius norm for p = 2 over a matrix).</summary>
    public unsafe Tensor norm(double p = 2, long[]? dims = null, bool keepdim = false)
    {
        dims ??= [];
        fixed (long* d = dims) return Wrap(rl_norm(H, p, d, dims.Length, keepdim ? 1 : 0, out var o), o);
    }

    /// <summary><c>torch.norm(p, dim)</c>: the <paramref name="p"/>-norm along one dimension, e.g. the L2 norm of each row with <c>norm(2, 1)</c>.</summary>
    public Tensor norm(double p, long dim, bool keepdim = false) => norm(p, [dim], keepdim);

    /// <summary><c>torch.topk</c>: the <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their int64 indices.</summary>
    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Check(rl_topk(H, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary><c>torch.sort</c>: the values sorted along <paramref name="dim"/> and the int64 indices that sort them (no <c>stable</c> flag).</summary>
    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false)
    {
        Check(rl_sort(H, dim, descending ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary><c>torch.cumsum</c>: running sums along <paramref name="dim"/> (no <c>dtype</c> argument).</summary>
    public Tensor cumsum(long dim) => Wrap(rl_cumsum(H, dim, out var o), o);

    // ---- linear algebra ----

    /// <summary><c>torch.matmul</c> (Python's <c>@</c>): matrix product with NumPy's rules: 1-D vectors, 2-D matrices, and batched (broadcast) leading dimensions. C# has no <c>@</c> operator.</summary>
    public Tensor matmul(Tensor other) => Wrap(rl_matmul(H, other.H, out var o), o);
    /// <summary><c>torch.mm</c>: the product of two 2-D matrices (n×m · m×p → n×p), no broadcasting.</summary>
    public Tensor mm(Tensor other) => Wrap(rl_mm(H, other.H, out var o), o);
    /// <summary><c>torch.bmm</c>: batched matrix product (b×n×m · b×m×p → b×n×p), no broadcasting.</summary>
    public Tensor bmm(Tensor other) => Wrap(rl_bmm(H, other.H, out var o), o);

    // ---- operators ----

    /// <summary>Elementwise sum, broadcasting (<c>torch.add</c>).</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.B(Bin.Add, b);
    /// <summary>Elementwise sum, broadcasting (<c>torch.add</c>).</summary>
    public static Tensor operator +(Tensor a, double b) => a.B(Bin.Add, b);
    /// <summary>Elementwise sum, broadcasting (<c>torch.add</c>).</summary>
    public static Tensor operator +(Tensor a, long b) => a.B(Bin.Add, b);
    /// <summary>Elementwise sum, broadcasting (<c>torch.add</c>).</summary>
    public static Tensor operator +(double a, Tensor b) => b.B(Bin.Add, a);
    /// <summary>Elementwise sum, broadcasting (<c>torch.add</c>).</summary>
    public static Tensor operator +(long a, Tensor b) => b.B(Bin.Add, a);
    /// <summary>Elementwise difference, broadcasting (<c>torch.sub</c>; a scalar on the left is <c>torch.rsub</c>).</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.B(Bin.Sub, b);
    /// <summary>Elementwise difference, broadcasting (<c>torch.sub</c>; a scalar on the left is <c>torch.rsub</c>).</summary>
    public static Tensor operator -(Tensor a, double b) => a.B(Bin.Sub, b);
    /// <summary>Elementwise difference, broadcasting (<c>torch.sub</c>; a scalar on the left is <c>torch.rsub</c>).</summary>
    public static Tensor operator -(Tensor a, long b) => a.B(Bin.Sub, b);
    /// <summary>Elementwise difference, broadcasting (<c>torch.sub</c>; a scalar on the left is <c>torch.rsub</c>).</summary>
    public static Tensor operator -(double a, Tensor b) => b.B(Bin.RSub, a);
    /// <summary>Elementwise difference, broadcasting (<c>torch.sub</c>; a scalar on the left is <c>torch.rsub</c>).</summary>
    public static Tensor operator -(long a, Tensor b) => b.B(Bin.RSub, a);
    /// <summary>Elementwise product, broadcasting (<c>torch.mul</c>; not a matrix product: see <see cref="matmul"/>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.B(Bin.Mul, b);
    /// <summary>Elementwise product, broadcasting (<c>torch.mul</c>; not a matrix product: see <see cref="matmul"/>).</summary>
    public static Tensor operator *(Tensor a, double b) => a.B(Bin.Mul, b);
    /// <summary>Elementwise product, broadcasting (<c>torch.mul</c>; not a matrix product: see <see cref="matmul"/>).</summary>
    public static Tensor operator *(Tensor a, long b) => a.B(Bin.Mul, b);
    /// <summary>Elementwise product, broadcasting (<c>torch.mul</c>; not a matrix product: see <see cref="matmul"/>).</summary>
    public static Tensor operator *(double a, Tensor b) => b.B(Bin.Mul, a);
    /// <summary>Elementwise product, broadcasting (<c>torch.mul</c>; not a matrix product: see <see cref="matmul"/>).</summary>
    public static Tensor operator *(long a, Tensor b) => b.B(Bin.Mul, a);
    /// <summary>Elementwise true division, broadcasting (<c>torch.div</c>).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.B(Bin.Div, b);
    /// <summary>Elementwise true division, broadcasting (<c>torch.div</c>).</summary>
    public static Tensor operator /(Tensor a, double b) => a.B(Bin.Div, b);
    /// <summary>Elementwise true division, broadcasting (<c>torch.div</c>).</summary>
    public static Tensor operator /(Tensor a, long b) => a.B(Bin.Div, b);
    /// <summary>Elementwise true division, broadcasting (<c>torch.div</c>).</summary>
    public static Tensor operator /(double a, Tensor b) => b.B(Bin.RDiv, a);
    /// <summary>Elementwise Python modulus (<c>torch.remainder</c>: the sign of the divisor, unlike C#'s <c>%</c> on numbers).</summary>
    public static Tensor operator %(Tensor a, Tensor b) => a.B(Bin.Remainder, b);
    /// <summary>Elementwise Python modulus (<c>torch.remainder</c>: the sign of the divisor, unlike C#'s <c>%</c> on numbers).</summary>
    public static Tensor operator %(Tensor a, double b) => a.B(Bin.Remainder, b);
    /// <summary>Elementwise negation (<c>torch.neg</c>).</summary>
    public static Tensor operator -(Tensor a) => a.U(Un.Neg);
    /// <summary>Elementwise comparison: a boolean tensor (<c>torch.lt</c>).</summary>
    public static Tensor operator <(Tensor a, Tensor b) => a.B(Bin.Lt, b);
    /// <summary>Elementwise comparison: a boolean tensor (<c>torch.gt</c>).</summary>
    public static Tensor operator >(Tensor a, Tensor b) => a.B(Bin.Gt, b);
    /// <summary>Elementwise comparison: a boolean tensor (<c>torch.le</c>).</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => a.B(Bin.Le, b);
    /// <summary>Elementwise comparison: a boolean tensor (<c>torch.ge</c>).</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => a.B(Bin.Ge, b);
    /// <summary>Elementwise comparison: a boolean tensor (<c>torch.lt</c>).</summary>
    public static Tensor operator <(Tensor a, double b) => a.B(Bin.Lt, b);
    /// <summary>Elementwise comparison: a boolean tensor (<c>torch.gt</c>).</summary>
    public static Tensor operator >(Tensor a, double b) => a.B(Bin.Gt, b);
    /// <summary>Elementwise comparison: a boolean tensor (<c>torch.le</c>).</summary>
    public static Tensor operator <=(Tensor a, double b) => a.B(Bin.Le, b);
    /// <summary>Elementwise comparison: a boolean tensor (<c>torch.ge</c>).</summary>
    public static Tensor operator >=(Tensor a, double b) => a.B(Bin.Ge, b);
    /// <summary>Elementwise logical and of two tensors (<see cref="logical_and"/>; PyTorch's <c>&amp;</c> is bitwise on integers, this one is logical).</summary>
    public static Tensor operator &(Tensor a, Tensor b) => a.B(Bin.And, b);
    /// <summary>Elementwise logical or of two tensors (<see cref="logical_or"/>; logical, not bitwise).</summary>
    public static Tensor operator |(Tensor a, Tensor b) => a.B(Bin.Or, b);
    /// <summary>Elementwise logical not (<see cref="logical_not"/>; Python's <c>~</c> on a boolean tensor).</summary>
    public static Tensor operator !(Tensor a) => a.U(Un.Not);
}
