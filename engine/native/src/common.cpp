#include "common.h"
#include <torch/cuda.h>
#include <torch/version.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <mutex>

namespace {
thread_local std::string last_error;
bool with_backtrace = false;
}  // namespace

namespace rl {
void set_error(const char* msg) { last_error = msg ? msg : ""; }
void set_error_from(const c10::Error& e) {
  last_error = with_backtrace ? e.what() : e.what_without_backtrace();
}
}  // namespace rl

extern "C" {

const char* rl_last_error(void) { return last_error.c_str(); }
void rl_set_backtrace(int enabled) { with_backtrace = enabled != 0; }
const char* rl_version(void) { return TORCH_VERSION; }

int rl_set_num_threads(int n) { RL_TRY at::set_num_threads(n); RL_END }
int rl_get_num_threads(void) { return at::get_num_threads(); }

int rl_manual_seed(uint64_t seed) {
  RL_TRY
  auto g = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(seed);
  }
  if (torch::cuda::is_available()) rl_cuda_manual_seed_all(seed);
  RL_END
}

int rl_get_rng_state(rl_tensor* out) {
  RL_TRY
  auto g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  *out = rl::wrap(g.get_state());
  RL_END
}

int rl_set_rng_state(rl_tensor state) {
  RL_TRY
  auto g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(state->t);
  RL_END
}

int rl_generator_new(uint64_t seed, rl_generator* out) {
  RL_TRY
  auto g = at::detail::createCPUGenerator(seed);
  *out = new rl_generator_s{g};
  RL_END
}
void rl_generator_free(rl_generator g) { delete g; }
int rl_generator_get_state(rl_generator g, rl_tensor* out) {
  RL_TRY std::lock_guard<std::mutex> lock(g->g.mutex()); *out = rl::wrap(g->g.get_state()); RL_END
}
int rl_generator_set_state(rl_generator g, rl_tensor state) {
  RL_TRY std::lock_guard<std::mutex> lock(g->g.mutex()); g->g.set_state(state->t); RL_END
}

int rl_cuda_is_available(void) {
  try { return torch::cuda::is_available() ? 1 : 0; } catch (...) { return 0; }
}
int rl_cuda_device_count(void) {
  try { return static_cast<int>(torch::cuda::device_count()); } catch (...) { return 0; }
}
int rl_cuda_synchronize(int index) {
  RL_TRY torch::cuda::synchronize(index); RL_END
}
int rl_cuda_manual_seed_all(uint64_t seed) {
  RL_TRY torch::cuda::manual_seed_all(seed); RL_END
}
// The CUDA generators are reached through ATen's device-generic context, so a CPU-only build
// compiles this too (and reports an error if called without CUDA).
int rl_cuda_get_rng_state(int index, rl_tensor* out) {
  RL_TRY
  auto g = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index)));
  std::lock_guard<std::mutex> lock(g.mutex());
  *out = rl::wrap(g.get_state());
  RL_END
}
int rl_cuda_set_rng_state(int index, rl_tensor state) {
  RL_TRY
  auto g = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index)));
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(state->t);
  RL_END
}

}  // extern "C"
