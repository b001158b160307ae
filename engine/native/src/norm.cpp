// Batch normalisation in training mode fused with the activation after it (none, ReLU or
// LeakyReLU), for float32 CPU tensors in NCHW or channels-last order. libtorch runs batch norm and
// the activation as separate operators, each over the whole tensor, and its batch norm is slowest
// on small maps (4x4) and 2-D inputs (bench/run.sh norm). Here the input is read twice forward
// (statistics, output with the activation)
// and twice backward (the two sums, the input gradient), with the activation's mask recomputed
// from the input. Sums are taken in float lanes over blocks of a few thousand values, from a
// per-channel shift (the channel's first value: no cancellation when the mean is far from 0),
// and the blocks added in double in a fixed order: the same result on any number of threads.
// Anything else (evaluation mode, other dtypes or devices, strided inputs, a second derivative)
// goes through libtorch's own operators.
#include "common.h"
#include <ATen/Parallel.h>
#include <cmath>
#include <vector>

using rl::T;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;


namespace {

enum Act : int64_t { kNone = 0, kRelu = 1, kLeaky = 2 };

// The input as [R, C, S], S innermost: NCHW is [N, C, H*W]; channels-last and 2-D inputs are
// [N*H*W, C, 1] and [N, C, 1].
struct Layout {
  int64_t R, C, S;
  int64_t M() const { return R * S; }
};

// Rows per block of partial sums when S is 1.
constexpr int64_t kRows = 64;

inline float activate(float v, int64_t act, float slope) {
  if (act == kLeaky) return v > 0.f ? v : v * slope;
  if (act == kRelu) return v > 0.f ? v : (v != v ? v : 0.f);
  return v;
}
inline float act_grad(float g, float pre, int64_t act, float slope) {
  if (act == kLeaky) return pre > 0.f ? g : g * slope;
  if (act == kRelu) return pre > 0.f ? g : 0.f;
  return g;
}

// Eight float lanes (GCC's vector extension: ymm in the AVX2 clone, two xmm otherwise).
typedef float v8 __attribute__((vector_size(32)));
inline v8 load8(const float* p) {
  v8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, v8 v) { __builtin_memcpy(p, &v, sizeof v); }
inline v8 splat(float f) { return v8{f, f, f, f, f, f, f, f}; }
template <int64_t ACT>
inline v8 act_grad8(v8 g, v8 pre, v8 slope) {
  if constexpr (ACT == kLeaky) return pre > splat(0.f) ? g : g * slope;
  if constexpr (ACT == kRelu) return pre > splat(0.f) ? g : splat(0.f);
  return g;
}

// Per-channel sums over rows [r0, r1), S > 1: eight float lanes per channel across the rows,
// added into doubles at the end. Forward (ACT < 0): p = x - center, q = p^2 (center: the shift).
// Backward: p = g', q = g' (x - center) (center: the mean), with g' the gradient through the
// activation, whose input x * a + b is recomputed.
template <int64_t ACT>
RL_CLONES void rows_sums_s(const float* __restrict g, const float* __restrict x, int64_t r0, int64_t r1, int64_t C,
                           int64_t S, const float* __restrict a, const float* __restrict b,
                           const float* __restrict center, float slope, double* __restrict s1,
                           double* __restrict s2) {
  // Lanes as plain floats (8 per channel), read and written unaligned.
  thread_local std::vector<float> P, Q;
  thread_local std::vector<double> T1, T2;
  P.assign(C * 8, 0.f);
  Q.assign(C * 8, 0.f);
  T1.assign(C, 0.0);
  T2.assign(C, 0.0);
  const int64_t body = S / 8 * 8;
  const v8 vs = splat(slope);
  for (int64_t r = r0; r < r1; r++)
    for (int64_t c = 0; c < C; c++) {
      const int64_t o = (r * C + c) * S;
      const v8 vc = splat(center[c]);
      v8 p = load8(&P[c * 8]), q = load8(&Q[c * 8]);
      if constexpr (ACT < 0) {
        for (int64_t i = 0; i < body; i += 8) {
          const v8 d = load8(x + o + i) - vc;
          p += d;
          q += d * d;
        }
      } else {
        const v8 va = splat(a[c]), vb = splat(b[c]);
        for (int64_t i = 0; i < body; i += 8) {
          const v8 xv = load8(x + o + i);
          const v8 gi = act_grad8<ACT>(load8(g + o + i), xv * va + vb, vs);
          p += gi;
          q += gi * (xv - vc);
        }
      }
      store8(&P[c * 8], p);
      store8(&Q[c * 8], q);
      for (int64_t i = body; i < S; i++) {
        const float d = x[o + i] - center[c];
        float v = d;
        if constexpr (ACT >= 0) v = act_grad(g[o + i], x[o + i] * a[c] + b[c], ACT, slope);
        T1[c] += v;
        T2[c] += static_cast<double>(v) * d;
      }
    }
  for (int64_t c = 0; c < C; c++) {
    double t1 = T1[c], t2 = T2[c];
    for (int j = 0; j < 8; j++) t1 += P[c * 8 + j], t2 += Q[c * 8 + j];
    s1[c] = t1;
    s2[c] = t2;
  }
}

// The same sums for S == 1 over a block of rows of C channels, added into a1 and a2.
RL_CLONES void block_moments(const float* __restrict x, int64_t rows, int64_t C, const float* __restrict shift,
                             float* __restrict a1, float* __restrict a2) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    for (int64_t c = 0; c < C; c++) {
      const float d = xr[c] - shift[c];
      a1[c] += d;
      a2[c] += d * d;
    }
  }
}

template <int64_t ACT>
RL_CLONES void block_grad_sums(const float* __restrict g, const float* __restrict x, int64_t rows, int64_t C,
                               const float* __restrict a, const float* __restrict b, const float* __restrict mean,
                               float slope, float* __restrict s1, float* __restrict s2) {
  for (int64_t r = 0; r < rows; r++) {
    const float* gr = g + r * C;
    const float* xr = x + r * C;
    for (int64_t c = 0; c < C; c++) {
      const float gi = act_grad(gr[c], xr[c] * a[c] + b[c], ACT, slope);
      s1[c] += gi;
      s2[c] += gi * (xr[c] - mean[c]);
    }
  }
}

// y = act(x * a[c] + b[c]) over rows [r0, r1) of C channels of S values.
template <int64_t ACT>
RL_CLONES void rows_apply(const float* __restrict x, float* __restrict y, int64_t r0, int64_t r1, int64_t C,
                          int64_t S, const float* __restrict a, const float* __restrict b, float slope) {
  for (int64_t r = r0; r < r1; r++)
    for (int64_t c = 0; c < C; c++) {
      const int64_t o = (r * C + c) * S;
      const float ac = a[c], bc = b[c];
      for (int64_t i = 0; i < S; i++) y[o + i] = activate(x[o + i] * ac + bc, ACT, slope);
    }
}

template <int64_t ACT>
RL_CLONES void block_apply(const float* __restrict x, float* __restrict y, int64_t r0, int64_t r1, int64_t C,
                           const float* __restrict a, const float* __restrict b, float slope) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    for (int64_t c = 0; c < C; c++) yr[c] = activate(xr[c] * a[c] + b[c], ACT, slope);
  }
}

// dx = A g' + B (x - mean) + D over rows [r0, r1).
template <int64_t ACT>
RL_CLONES void rows_grad_input(const float* __restrict g, const float* __restrict x, float* __restrict dx, int64_t r0,
                               int64_t r1, int64_t C, int64_t S, const float* __restrict a, const float* __restrict b,
                               const float* __restrict mean, const float* __restrict A, const float* __restrict B,
                               const float* __restrict D, float slope) {
  for (int64_t r = r0; r < r1; r++)
    for (int64_t c = 0; c < C; c++) {
      const int64_t o = (r * C + c) * S;
      const float ac = a[c], bc = b[c], mc = mean[c], Ac = A[c], Bc = B[c], Dc = D[c];
      for (int64_t i = 0; i < S; i++)
        dx[o + i] = Ac * act_grad(g[o + i], x[o + i] * ac + bc, ACT, slope) + Bc * (x[o + i] - mc) + Dc;
    }
}

template <int64_t ACT>
RL_CLONES void block_grad_input(const float* __restrict g, const float* __restrict x, float* __restrict dx,
                                int64_t r0, int64_t r1, int64_t C, const float* __restrict a,
                                const float* __restrict b, const float* __restrict mean, const float* __restrict A,
                                const float* __restrict B, const float* __restrict D, float slope) {
  for (int64_t r = r0; r < r1; r++) {
    const float* gr = g + r * C;
    const float* xr = x + r * C;
    float* dr = dx + r * C;
    for (int64_t c = 0; c < C; c++)
      dr[c] = A[c] * act_grad(gr[c], xr[c] * a[c] + b[c], ACT, slope) + B[c] * (xr[c] - mean[c]) + D[c];
  }
}

// Per-channel sums over the whole input: for S > 1 parallel over channels (`channel` sums one);
// for S == 1 parallel over blocks of kRows rows (`block` adds one into per-channel arrays), the
// blocks then added in order.
// Per-channel sums over the whole input, parallel over fixed blocks of rows (about 8,192 values
// each for S > 1, kRows rows for S == 1), the blocks' partial sums then added in order: the same
// result on any number of threads. `rows` sums a block for S > 1 into doubles, `block` adds a
// block for S == 1 into float arrays.
template <typename Rows, typename Block>
void channel_sums(const Layout& L, std::vector<double>& s1, std::vector<double>& s2, Rows rows, Block block) {
  s1.assign(L.C, 0.0);
  s2.assign(L.C, 0.0);
  const int64_t per = L.S > 1 ? std::max<int64_t>(1, 8192 / (L.C * L.S)) : kRows;
  const int64_t blocks = (L.R + per - 1) / per;
  std::vector<double> part(static_cast<size_t>(blocks * L.C * 2), 0.0);
  at::parallel_for(0, blocks, 1, [&](int64_t k0, int64_t k1) {
    std::vector<float> f1, f2;
    for (int64_t k = k0; k < k1; k++) {
      const int64_t r0 = k * per, r1 = std::min(L.R, r0 + per);
      double* p1 = part.data() + k * L.C * 2;
      double* p2 = p1 + L.C;
      if (L.S > 1) {
        rows(r0, r1, p1, p2);
      } else {
        f1.assign(L.C, 0.f);
        f2.assign(L.C, 0.f);
        block(r0, r1 - r0, f1.data(), f2.data());
        for (int64_t c = 0; c < L.C; c++) p1[c] = f1[c], p2[c] = f2[c];
      }
    }
  });
  for (int64_t k = 0; k < blocks; k++)
    for (int64_t c = 0; c < L.C; c++) {
      s1[c] += part[k * L.C * 2 + c];
      s2[c] += part[k * L.C * 2 + L.C + c];
    }
}

// Elementwise over the input, parallel over rows.
template <typename Rows>
void for_rows(const Layout& L, Rows rows) {
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, L.C * L.S));
  at::parallel_for(0, L.R, grain, [&](int64_t r0, int64_t r1) { rows(r0, r1); });
}

// Calls f with the activation as a compile-time constant (the kernels' inner loops then have no branch).
template <typename Fn>
void with_act(int64_t act, Fn f) {
  if (act == kLeaky) f(std::integral_constant<int64_t, kLeaky>());
  else if (act == kRelu) f(std::integral_constant<int64_t, kRelu>());
  else f(std::integral_constant<int64_t, kNone>());
}

bool channels_last(const at::Tensor& x) {
  return x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(at::MemoryFormat::ChannelsLast);
}

Layout layout_of(const at::Tensor& x) {
  const int64_t C = x.size(1);
  if (channels_last(x)) return {x.size(0) * x.size(2) * x.size(3), C, 1};
  int64_t S = 1;
  for (int64_t d = 2; d < x.dim(); d++) S *= x.size(d);
  return {x.size(0), C, S};
}

bool per_channel(const at::Tensor& t, int64_t C) {
  return !t.defined() || (t.device().is_cpu() && t.scalar_type() == at::kFloat && t.dim() == 1 && t.size(0) == C &&
                          t.is_contiguous());
}

// Whether the fused kernels take this call.
bool fusable(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& rm,
             const at::Tensor& rv) {
  if (!x.device().is_cpu() || x.scalar_type() != at::kFloat || x.dim() < 2 || x.numel() == 0) return false;
  if (!x.is_contiguous() && !channels_last(x)) return false;
  const int64_t C = x.size(1);
  if (x.numel() / C <= 1) return false;  // one value per channel: no variance (F.batch_norm refuses it in training)
  if (w.defined() != b.defined()) return false;
  return per_channel(w, C) && per_channel(b, C) && per_channel(rm, C) && per_channel(rv, C) &&
         rm.defined() == rv.defined();
}

at::Tensor activation_op(const at::Tensor& y, int64_t act, double slope) {
  if (act == kLeaky) return at::leaky_relu(y, slope);
  if (act == kRelu) return at::relu(y);
  return y;
}

// libtorch's operators: the reference the fused kernels are tested against, and the path for
// everything they do not take.
at::Tensor reference(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& rm,
                     const at::Tensor& rv, bool training, double momentum, double eps, int64_t act, double slope) {
  return activation_op(at::batch_norm(x, w, b, rm, rv, training, momentum, eps, true), act, slope);
}

// Scale and offset of the normalisation per channel: y = x * a + b.
void scale_offset(const at::Tensor& w, const at::Tensor& bias, const float* mean, const float* invstd, int64_t C,
                  std::vector<float>& a, std::vector<float>& b) {
  a.resize(C);
  b.resize(C);
  const float* wp = w.defined() ? w.data_ptr<float>() : nullptr;
  const float* bp = bias.defined() ? bias.data_ptr<float>() : nullptr;
  for (int64_t c = 0; c < C; c++) {
    a[c] = (wp ? wp[c] : 1.f) * invstd[c];
    b[c] = (bp ? bp[c] : 0.f) - mean[c] * a[c];
  }
}

struct BatchNormAct : torch::autograd::Function<BatchNormAct> {
  // Optional tensors as c10::optional: autograd records an undefined at::Tensor argument as an input
  // and fails on it.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const c10::optional<at::Tensor>& w_,
                            const c10::optional<at::Tensor>& b_, const c10::optional<at::Tensor>& rm_,
                            const c10::optional<at::Tensor>& rv_, double momentum, double eps, int64_t act,
                            double slope) {
    const at::Tensor w = w_.value_or(at::Tensor()), bias = b_.value_or(at::Tensor());
    at::Tensor rm = rm_.value_or(at::Tensor()), rv = rv_.value_or(at::Tensor());
    const Layout L = layout_of(x);
    const float* xp = x.data_ptr<float>();
    const int64_t C = L.C, S = L.S;
    // Shift: each channel's first value.
    std::vector<float> shift(C);
    for (int64_t c = 0; c < C; c++) shift[c] = S > 1 ? xp[c * S] : xp[c];
    std::vector<double> s1, s2;
    channel_sums(
        L, s1, s2,
        [&](int64_t r0, int64_t r1, double* p, double* q) {
          rows_sums_s<-1>(nullptr, xp, r0, r1, C, S, nullptr, nullptr, shift.data(), 0.f, p, q);
        },
        [&](int64_t r0, int64_t rows, float* a1, float* a2) {
          block_moments(xp + r0 * C, rows, C, shift.data(), a1, a2);
        });
    const double M = static_cast<double>(L.M());
    auto mean_t = at::empty({C}, x.options());
    auto invstd_t = at::empty({C}, x.options());
    auto var_t = at::empty({C}, x.options());
    float* mean = mean_t.data_ptr<float>();
    float* invstd = invstd_t.data_ptr<float>();
    float* var = var_t.data_ptr<float>();
    for (int64_t c = 0; c < C; c++) {
      const double m1 = s1[c] / M;
      const double v = std::max(0.0, s2[c] / M - m1 * m1);
      mean[c] = static_cast<float>(shift[c] + m1);
      invstd[c] = static_cast<float>(1.0 / std::sqrt(v + eps));
      var[c] = static_cast<float>(v * M / (M - 1));  // unbiased, for the running variance
    }
    if (rm.defined()) {
      at::NoGradGuard no_grad;
      rm.mul_(1 - momentum).add_(mean_t, momentum);
      rv.mul_(1 - momentum).add_(var_t, momentum);
    }
    std::vector<float> a, b;
    scale_offset(w, bias, mean, invstd, C, a, b);
    auto y = at::empty_like(x);
    float* yp = y.data_ptr<float>();
    const float sl = static_cast<float>(slope);
    with_act(act, [&](auto A) {
      for_rows(L, [&](int64_t r0, int64_t r1) {
        if (S == 1) block_apply<A()>(xp, yp, r0, r1, C, a.data(), b.data(), sl);
        else rows_apply<A()>(xp, yp, r0, r1, C, S, a.data(), b.data(), sl);
      });
    });
    ctx->save_for_backward({x, w, bias, mean_t, invstd_t});
    ctx->saved_data["act"] = act;
    ctx->saved_data["slope"] = slope;
    ctx->saved_data["eps"] = eps;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &bias = saved[2], &mean_t = saved[3], &invstd_t = saved[4];
    const int64_t act = ctx->saved_data["act"].toInt();
    const double slope = ctx->saved_data["slope"].toDouble();
    if (at::GradMode::is_enabled()) {
      // A second derivative: the same function in libtorch's operators, differentiated with a graph.
      const double eps = ctx->saved_data["eps"].toDouble();
      std::vector<at::Tensor> inputs;
      for (const auto* t : {&x, &w, &bias})
        if (t->defined() && t->requires_grad()) inputs.push_back(*t);
      auto y = reference(x, w, bias, {}, {}, true, 0.0, eps, act, slope);
      auto got = torch::autograd::grad({y}, inputs, {grads[0]}, true, true, true);
      variable_list out(9);
      size_t k = 0;
      for (int i = 0; i < 3; i++) {
        const auto& t = i == 0 ? x : i == 1 ? w : bias;
        if (t.defined() && t.requires_grad()) out[i] = got[k++];
      }
      return out;
    }
    auto g = channels_last(x) ? grads[0].contiguous(at::MemoryFormat::ChannelsLast) : grads[0].contiguous();
    const Layout L = layout_of(x);
    const int64_t C = L.C, S = L.S;
    const float* xp = x.data_ptr<float>();
    const float* gp = g.data_ptr<float>();
    const float* mean = mean_t.data_ptr<float>();
    const float* invstd = invstd_t.data_ptr<float>();
    std::vector<float> a, b;
    scale_offset(w, bias, mean, invstd, C, a, b);
    const float sl = static_cast<float>(slope);
    std::vector<double> sg, sgx;
    with_act(act, [&](auto K) {
      channel_sums(
          L, sg, sgx,
          [&](int64_t r0, int64_t r1, double* p, double* q) {
            rows_sums_s<K()>(gp, xp, r0, r1, C, S, a.data(), b.data(), mean, sl, p, q);
          },
          [&](int64_t r0, int64_t rows, float* p, float* q) {
            block_grad_sums<K()>(gp + r0 * C, xp + r0 * C, rows, C, a.data(), b.data(), mean, sl, p, q);
          });
    });
    variable_list out(9);
    const double M = static_cast<double>(L.M());
    const float* wp = w.defined() ? w.data_ptr<float>() : nullptr;
    if (ctx->needs_input_grad(0)) {
      std::vector<float> A(C), B(C), D(C);
      for (int64_t c = 0; c < C; c++) {
        const double k = (wp ? wp[c] : 1.0) * invstd[c];
        A[c] = static_cast<float>(k);
        B[c] = static_cast<float>(-k * invstd[c] * invstd[c] * sgx[c] / M);
        D[c] = static_cast<float>(-k * sg[c] / M);
      }
      auto dx = at::empty_like(x);
      float* dp = dx.data_ptr<float>();
      with_act(act, [&](auto K) {
        for_rows(L, [&](int64_t r0, int64_t r1) {
          if (S == 1)
            block_grad_input<K()>(gp, xp, dp, r0, r1, C, a.data(), b.data(), mean, A.data(), B.data(), D.data(), sl);
          else
            rows_grad_input<K()>(gp, xp, dp, r0, r1, C, S, a.data(), b.data(), mean, A.data(), B.data(), D.data(), sl);
        });
      });
      out[0] = dx;
    }
    if (w.defined()) {
      auto dw = at::empty({C}, x.options());
      auto db = at::empty({C}, x.options());
      float* dwp = dw.data_ptr<float>();
      float* dbp = db.data_ptr<float>();
      for (int64_t c = 0; c < C; c++) {
        dwp[c] = static_cast<float>(sgx[c] * invstd[c]);
        dbp[c] = static_cast<float>(sg[c]);
      }
      out[1] = dw;
      out[2] = db;
    }
    return out;
  }
};

}  // namespace

extern "C" {

int rl_batch_norm(rl_tensor x, rl_tensor w, rl_tensor b, rl_tensor running_mean, rl_tensor running_var, int training,
                  double momentum, double eps, int act, double slope, int fused, rl_tensor* out) {
  RL_TRY
  const auto xw = rl::or_undef(w), xb = rl::or_undef(b), rm = rl::or_undef(running_mean),
             rv = rl::or_undef(running_var);
  const bool take = fused && training && fusable(T(x), xw, xb, rm, rv);
  auto o = [](const at::Tensor& t) { return t.defined() ? c10::optional<at::Tensor>(t) : c10::nullopt; };
  *out = rl::wrap(take ? BatchNormAct::apply(T(x), o(xw), o(xb), o(rm), o(rv), momentum, eps, static_cast<int64_t>(act), slope)
                       : reference(T(x), xw, xb, rm, rv, training != 0, momentum, eps, act, slope));
  RL_END
}

}  // extern "C"
