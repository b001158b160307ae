// Fused image kernels for batched augmentation. Each has a composition of
// libtorch ops that computes the same thing (engine/RepLab.Torch/Vision.cs keeps
// it for CUDA and half precision); on CPU the composition makes a dozen
// full-size temporaries per operation, these pass over each sample once per stage.
#include "common.h"
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <vector>

using rl::T;

// Each per-sample kernel is compiled twice (RL_CLONES, common.h).

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
RL_CLONES void jitter_sample(S* __restrict x, int64_t channels, int64_t pixels, const double* stages) {
  S* r = x;
  S* g = x + pixels;
  S* b = x + 2 * pixels;
  const int64_t size = channels * pixels;
  for (int k = 0; k < 4; k++) {
    const int op = static_cast<int>(stages[2 * k]);
    const S f = static_cast<S>(stages[2 * k + 1]);
    // A blend with factor 1 changes nothing: skipped, so the sample keeps its bits (unclamped too).
    if (op <= 2 && f == S(1)) continue;
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

namespace {

// One sample resampled by per-axis taps (output i of an axis blends source pixels idx[k i + t] with
// weights wt[k i + t]): rows first (whole rows blended, vectorised), then columns.
template <typename S>
RL_CLONES void resample_sample(const S* in, S* out, int64_t channels, int64_t h, int64_t w, int64_t oh, int64_t ow,
                               const int64_t* iy, const S* wy, int64_t ky, const int64_t* ix, const S* wx, int64_t kx) {
  std::vector<S> rows(oh * w);
  for (int64_t c = 0; c < channels; c++) {
    const S* plane = in + c * h * w;
    for (int64_t i = 0; i < oh; i++) {
      S* row = rows.data() + i * w;
      for (int64_t j = 0; j < w; j++) row[j] = S(0);
      for (int64_t t = 0; t < ky; t++) {
        const S weight = wy[i * ky + t];
        if (weight == S(0)) continue;
        const S* src = plane + iy[i * ky + t] * w;
        for (int64_t j = 0; j < w; j++) row[j] += weight * src[j];
      }
    }
    S* target = out + c * oh * ow;
    for (int64_t i = 0; i < oh; i++)
      for (int64_t j = 0; j < ow; j++) {
        S acc = S(0);
        for (int64_t t = 0; t < kx; t++) acc += wx[j * kx + t] * rows[i * w + ix[j * kx + t]];
        target[i * ow + j] = clamp01(acc);
      }
  }
}

// Reflection of an index into [0, n) without repeating the edge (PyTorch's 'reflect' padding).
inline int64_t reflect(int64_t i, int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

template <typename S>
RL_CLONES void blur_sample(const S* in, S* out, int64_t channels, int64_t h, int64_t w, const double* kernel, int64_t radius) {
  const int64_t size = 2 * radius + 1;
  std::vector<S> k(size), rows(h * w);
  for (int64_t t = 0; t < size; t++) k[t] = static_cast<S>(kernel[t]);
  for (int64_t c = 0; c < channels; c++) {
    const S* plane = in + c * h * w;
    S* target = out + c * h * w;
    // Along each row; the interior in a form the compiler vectorises, the edges reflected.
    for (int64_t i = 0; i < h; i++) {
      const S* src = plane + i * w;
      S* dst = rows.data() + i * w;
      for (int64_t j = 0; j < w; j++) dst[j] = S(0);
      for (int64_t t = 0; t < size; t++) {
        const S kt = k[t];
        const int64_t shift = t - radius;
        const int64_t from = std::max<int64_t>(0, -shift), to = std::min<int64_t>(w, w - shift);
        for (int64_t j = from; j < to; j++) dst[j] += kt * src[j + shift];
        for (int64_t j = 0; j < from; j++) dst[j] += kt * src[reflect(j + shift, w)];
        for (int64_t j = std::max(to, from); j < w; j++) dst[j] += kt * src[reflect(j + shift, w)];
      }
    }
    // Along each column: output row i blends whole rows i - r .. i + r (reflected).
    for (int64_t i = 0; i < h; i++) {
      S* dst = target + i * w;
      for (int64_t j = 0; j < w; j++) dst[j] = S(0);
      for (int64_t t = 0; t < size; t++) {
        const S kt = k[t];
        const S* src = rows.data() + reflect(i + t - radius, h) * w;
        for (int64_t j = 0; j < w; j++) dst[j] += kt * src[j];
      }
      for (int64_t j = 0; j < w; j++) dst[j] = clamp01(dst[j]);
    }
  }
}

}  // namespace

int rl_resample(rl_tensor x, const int64_t* iy, const double* wy, int64_t ky, const int64_t* ix, const double* wx, int64_t kx,
                int64_t out_h, int64_t out_w, rl_tensor* out) {
  RL_TRY
  const at::Tensor& t = T(x);
  TORCH_CHECK(t.device().is_cpu(), "resample: the fused kernel runs on CPU tensors only");
  TORCH_CHECK(t.dim() == 4 && t.is_contiguous(), "resample: expects a contiguous [N, C, H, W] tensor");
  TORCH_CHECK(out_h > 0 && out_w > 0 && ky > 0 && kx > 0, "resample: output size and taps must be positive");
  const int64_t n = t.size(0), channels = t.size(1), h = t.size(2), w = t.size(3);
  for (int64_t i = 0; i < n * out_h * ky; i++) TORCH_CHECK(iy[i] >= 0 && iy[i] < h, "resample: row tap ", iy[i], " outside 0..", h - 1);
  for (int64_t i = 0; i < n * out_w * kx; i++) TORCH_CHECK(ix[i] >= 0 && ix[i] < w, "resample: column tap ", ix[i], " outside 0..", w - 1);
  at::Tensor result = at::empty({n, channels, out_h, out_w}, t.options());
  AT_DISPATCH_FLOATING_TYPES(t.scalar_type(), "resample", [&] {
    const scalar_t* src = t.data_ptr<scalar_t>();
    scalar_t* dst = result.data_ptr<scalar_t>();
    at::parallel_for(0, n, 4, [&](int64_t begin, int64_t end) {
      std::vector<scalar_t> rows(out_h * ky), cols(out_w * kx);
      for (int64_t i = begin; i < end; i++) {
        std::copy(wy + i * out_h * ky, wy + (i + 1) * out_h * ky, rows.begin());
        std::copy(wx + i * out_w * kx, wx + (i + 1) * out_w * kx, cols.begin());
        resample_sample(src + i * channels * h * w, dst + i * channels * out_h * out_w, channels, h, w, out_h, out_w,
                        iy + i * out_h * ky, rows.data(), ky, ix + i * out_w * kx, cols.data(), kx);
      }
    });
  });
  *out = rl::wrap(result);
  RL_END
}

int rl_gaussian_blur(rl_tensor x, const double* kernels, int64_t radius, const uint8_t* apply, rl_tensor* out) {
  RL_TRY
  const at::Tensor& t = T(x);
  TORCH_CHECK(t.device().is_cpu(), "gaussian_blur: the fused kernel runs on CPU tensors only");
  TORCH_CHECK(t.dim() == 4 && t.is_contiguous(), "gaussian_blur: expects a contiguous [N, C, H, W] tensor");
  const int64_t n = t.size(0), channels = t.size(1), h = t.size(2), w = t.size(3);
  TORCH_CHECK(radius >= 0 && radius < h && radius < w, "gaussian_blur: radius ", radius, " needs images larger than ", radius,
              " pixels a side for reflection, got ", h, "x", w);
  at::Tensor result = at::empty_like(t);
  AT_DISPATCH_FLOATING_TYPES(t.scalar_type(), "gaussian_blur", [&] {
    const scalar_t* src = t.data_ptr<scalar_t>();
    scalar_t* dst = result.data_ptr<scalar_t>();
    const int64_t stride = channels * h * w;
    at::parallel_for(0, n, 4, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        if (apply[i])
          blur_sample(src + i * stride, dst + i * stride, channels, h, w, kernels + i * (2 * radius + 1), radius);
        else
          std::copy(src + i * stride, src + (i + 1) * stride, dst + i * stride);
      }
    });
  });
  *out = rl::wrap(result);
  RL_END
}

namespace {

// One sample [C, H, W] of a per-sample map: op 0 flips left-right, 1 top-bottom, 2 puts the
// BT.601 luma in every channel (RGB), 3 inverts values at or above `param` (solarize).
template <typename S>
RL_CLONES void map_sample(const S* in, S* out, int64_t channels, int64_t h, int64_t w, int op, double param) {
  const int64_t plane = h * w;
  switch (op) {
    case 0:
      for (int64_t r = 0; r < channels * h; r++) {
        const S* src = in + r * w;
        S* dst = out + r * w;
        for (int64_t j = 0; j < w; j++) dst[j] = src[w - 1 - j];
      }
      break;
    case 1:
      for (int64_t c = 0; c < channels; c++)
        for (int64_t i = 0; i < h; i++) std::copy(in + c * plane + (h - 1 - i) * w, in + c * plane + (h - i) * w, out + c * plane + i * w);
      break;
    case 2:
      for (int64_t p = 0; p < plane; p++) {
        const S l = luma(in[p], in[plane + p], in[2 * plane + p]);
        out[p] = out[plane + p] = out[2 * plane + p] = l;
      }
      break;
    default: {
      const S t = static_cast<S>(param);
      for (int64_t i = 0; i < channels * plane; i++) out[i] = in[i] >= t ? S(1) - in[i] : in[i];
    }
  }
}

}  // namespace

int rl_sample_map(rl_tensor x, int op, double param, const uint8_t* apply, rl_tensor* out) {
  RL_TRY
  const at::Tensor& t = T(x);
  TORCH_CHECK(t.device().is_cpu(), "sample_map: the fused kernel runs on CPU tensors only");
  TORCH_CHECK(t.dim() == 4 && t.is_contiguous(), "sample_map: expects a contiguous [N, C, H, W] tensor");
  TORCH_CHECK(op >= 0 && op <= 3, "sample_map: unknown op ", op);
  TORCH_CHECK(op != 2 || t.size(1) == 3, "sample_map: grayscale needs 3 channels, got ", t.size(1));
  const int64_t n = t.size(0), channels = t.size(1), h = t.size(2), w = t.size(3), stride = channels * h * w;
  at::Tensor result = at::empty_like(t);
  AT_DISPATCH_FLOATING_TYPES(t.scalar_type(), "sample_map", [&] {
    const scalar_t* src = t.data_ptr<scalar_t>();
    scalar_t* dst = result.data_ptr<scalar_t>();
    at::parallel_for(0, n, 8, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        if (apply[i])
          map_sample(src + i * stride, dst + i * stride, channels, h, w, op, param);
        else
          std::copy(src + i * stride, src + (i + 1) * stride, dst + i * stride);
      }
    });
  });
  *out = rl::wrap(result);
  RL_END
}
