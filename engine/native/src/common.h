// Internal helpers shared by the shim's sources: handle wrapping and the one
// error convention (catch everything, keep the message, return 1).
#pragma once
#include "pch.h"
#include "replab_torch.h"
#include <optional>
#include <string>
#include <vector>

struct rl_tensor_s { at::Tensor t; };
struct rl_generator_s { at::Generator g; };

namespace rl {
void set_error(const char* msg);
void set_error_from(const c10::Error& e);

inline rl_tensor wrap(at::Tensor t) { return new rl_tensor_s{std::move(t)}; }
inline const at::Tensor& T(rl_tensor h) { return h->t; }
inline c10::optional<at::Tensor> opt(rl_tensor h) {
  return h ? c10::optional<at::Tensor>(h->t) : c10::nullopt;
}
inline at::Tensor or_undef(rl_tensor h) { return h ? h->t : at::Tensor(); }
inline c10::optional<at::Generator> gen(rl_generator g) {
  return g ? c10::optional<at::Generator>(g->g) : c10::nullopt;
}
inline at::IntArrayRef ints(const int64_t* p, int n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }
inline at::Device device(int type, int index) {
  return type == 1 ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index)) : at::Device(at::kCPU);
}
inline at::TensorOptions options(int dtype, int dev, int index) {
  return at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(device(dev, index));
}
inline at::Scalar scalar(double v, int is_int) {
  return is_int ? at::Scalar(static_cast<int64_t>(v)) : at::Scalar(v);
}
inline std::vector<at::Tensor> list(const rl_tensor* ts, int n) {
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(ts[i]->t);
  return v;
}
}  // namespace rl

// A kernel compiled twice, for AVX2 and for the x86-64 baseline; the loader picks the one the CPU
// runs (GCC's target_clones, an ifunc). AVX2 without FMA: no contraction, so both clones round
// alike and results do not depend on the machine.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RL_CLONES
#endif

#define RL_TRY try {
#define RL_END                                          \
  }                                                     \
  catch (const c10::Error& e) {                         \
    rl::set_error_from(e);                              \
    return 1;                                           \
  }                                                     \
  catch (const std::exception& e) {                     \
    rl::set_error(e.what());                            \
    return 1;                                           \
  }                                                     \
  catch (...) {                                         \
    rl::set_error("unknown C++ exception in libtorch"); \
    return 1;                                           \
  }                                                     \
  return 0;

// The common shape of an export that makes one new tensor.
#define RL_OUT(expr) RL_TRY *out = rl::wrap(expr); RL_END
