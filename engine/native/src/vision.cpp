// Fused image kernels for batched augmentation. Each has a composition of
// libtorch ops that computes the same thing (engine/RepLab.Torch/Vision.cs keeps
// it for CUDA and half precision); on CPU the composition makes a dozen
// full-size temporaries per operation, these pass over each sample once per stage.
#include "common.h"
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>

using rl::T;

namespace {

template <typename S>
inline S clamp01(S v) { return std::min(std::max(v, S(0)), S(1)); }

// One channel of the hue-turned pixel: V - C clamp(min(k, 4 - k), 0, 1), k = (h6 + n) mod 6.
template <typename S>
inline S hue_channel(S h6, S n, S mx, S chroma) {
  S k = h6 + n;  // in [1, 12): one wrap makes it mod 6
  k = k >= S(6) ? k - S(6) : k;
  const S ramp = std::min(std::max(std::min(k, S(4) - k), S(0)), S(1));
  return clamp01(mx - chroma * ramp);
}

template <typename S>
inline S luma(S r, S g, S b) { return S(0.299) * r + S(0.587) * g + S(0.114) * b; }

// One sample, channels x pixels, in place: the stages in order, each (op, value)
// with op 0 brightness, 1 contrast, 2 saturation, 3 hue, anything else nothing.
template <typename S>
void jitter_sample(S* __restrict x, int64_t channels, int64_t pixels, const double* stages) {
  S* r = x;
  S* g = x + pixels;
  S* b = x + 2 * pixels;
  const int64_t size = channels * pixels;
  for (int k = 0; k < 4; k++) {
    const int op = static_cast<int>(stages[2 * k]);
    const S f = static_cast<S>(stages[2 * k + 1]);
    if (op == 0) {
      for (int64_t i = 0; i < size; i++) x[i] = clamp01(f * x[i]);
    } else if (op == 1) {
      double sum = 0;
      if (channels == 3)
        for (int64_t p = 0; p < pixels; p++) sum += luma(r[p], g[p], b[p]);
      else
        for (int64_t p = 0; p < pixels; p++) sum += x[p];
      const S offset = (S(1) - f) * static_cast<S>(sum / static_cast<double>(pixels));
      for (int64_t i = 0; i < size; i++) x[i] = clamp01(f * x[i] + offset);
    } else if (op == 2 && channels == 3) {
      const S w = S(1) - f;
      for (int64_t p = 0; p < pixels; p++) {
        const S l = w * luma(r[p], g[p], b[p]);
        r[p] = clamp01(f * r[p] + l);
        g[p] = clamp01(f * g[p] + l);
        b[p] = clamp01(f * b[p] + l);
      }
    } else if (op == 3 && channels == 3 && f != S(0)) {
      // H from torchvision's _rgb2hsv, back with c_n = V - C clamp(min(k, 4 - k), 0, 1),
      // k = (n + 6 H) mod 6, n = 5, 3, 1 for R, G, B (V the max, C the chroma). Written
      // without branches (selects only) so that the compiler vectorizes it.
      for (int64_t p = 0; p < pixels; p++) {
        const S rv = r[p], gv = g[p], bv = b[p];
        const S mx = std::max(rv, std::max(gv, bv));
        const S chroma = mx - std::min(rv, std::min(gv, bv));
        const S d = chroma == S(0) ? S(1) : chroma;
        const S rc = (mx - rv) / d, gc = (mx - gv) / d, bc = (mx - bv) / d;
        // The sector of the maximum channel, R first then G, as torchvision breaks ties.
        const S from_g = mx == gv ? rc - bc + S(2) : gc - rc + S(4);
        const S sector = mx == rv ? bc - gc : from_g;
        // (sector / 6 + f) mod 1: the sum lies in (-1, 2), so one wrap each way does it.
        S h = sector / S(6) + f;
        h = h < S(0) ? h + S(1) : h;
        h = h >= S(1) ? h - S(1) : h;
        const S h6 = h * S(6);
        r[p] = hue_channel(h6, S(5), mx, chroma);
        g[p] = hue_channel(h6, S(3), mx, chroma);
        b[p] = hue_channel(h6, S(1), mx, chroma);
      }
    }
  }
}

}  // namespace

int rl_color_jitter_(rl_tensor x, const double* stages, int64_t n) {
  RL_TRY
  const at::Tensor& t = T(x);
  TORCH_CHECK(t.device().is_cpu(), "color_jitter_: the fused kernel runs on CPU tensors only");
  TORCH_CHECK(t.dim() == 4 && t.is_contiguous(), "color_jitter_: expects a contiguous [N, C, H, W] tensor");
  TORCH_CHECK(t.size(1) == 1 || t.size(1) == 3, "color_jitter_: expects 1 or 3 channels, got ", t.size(1));
  TORCH_CHECK(t.size(0) == n, "color_jitter_: ", n, " stage rows for a batch of ", t.size(0));
  const int64_t channels = t.size(1), pixels = t.size(2) * t.size(3);
  AT_DISPATCH_FLOATING_TYPES(t.scalar_type(), "color_jitter_", [&] {
    scalar_t* data = t.data_ptr<scalar_t>();
    at::parallel_for(0, n, 8, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++)
        jitter_sample(data + i * channels * pixels, channels, pixels, stages + 8 * i);
    });
  });
  RL_END
}
