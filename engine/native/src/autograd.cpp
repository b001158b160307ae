// Autograd: grad mode, backward, gradients, autograd.grad.
#include "common.h"

using rl::T;

extern "C" {

int rl_is_grad_enabled(void) { return at::GradMode::is_enabled() ? 1 : 0; }
int rl_set_grad_enabled(int enabled) {
  int previous = at::GradMode::is_enabled() ? 1 : 0;
  at::GradMode::set_enabled(enabled != 0);
  return previous;
}
int rl_backward(rl_tensor t, rl_tensor grad, int retain_graph, int create_graph) {
  RL_TRY
  t->t.backward(rl::or_undef(grad), retain_graph != 0 || create_graph != 0, create_graph != 0);
  RL_END
}
int rl_grad(rl_tensor t, rl_tensor* out) {
  RL_TRY
  const auto& g = T(t).grad();
  *out = g.defined() ? rl::wrap(g) : nullptr;
  RL_END
}
int rl_set_grad(rl_tensor t, rl_tensor grad) { RL_TRY t->t.mutable_grad() = rl::or_undef(grad); RL_END }
int rl_autograd_grad(const rl_tensor* outputs, int n_out, const rl_tensor* grad_outputs, const rl_tensor* inputs,
                     int n_in, int retain_graph, int create_graph, int allow_unused, rl_tensor* grads) {
  RL_TRY
  std::vector<at::Tensor> go;
  for (int i = 0; i < n_out; i++) go.push_back(grad_outputs ? rl::or_undef(grad_outputs[i]) : at::Tensor());
  auto r = torch::autograd::grad(rl::list(outputs, n_out), rl::list(inputs, n_in), go,
                                 retain_graph != 0 || create_graph != 0, create_graph != 0, allow_unused != 0);
  for (int i = 0; i < n_in; i++) grads[i] = r[i].defined() ? rl::wrap(r[i]) : nullptr;
  RL_END
}

}  // extern "C"
