// Elementwise math, reductions and linear algebra.
#include "common.h"

using rl::T;

namespace {

at::Tensor binary(int op, const at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case 0: return at::add(a, b);
    case 1: return at::sub(a, b);
    case 2: return at::mul(a, b);
    case 3: return at::div(a, b);
    case 4: return at::pow(a, b);
    case 5: return at::maximum(a, b);
    case 6: return at::minimum(a, b);
    case 7: return at::remainder(a, b);
    case 8: return at::eq(a, b);
    case 9: return at::ne(a, b);
    case 10: return at::lt(a, b);
    case 11: return at::le(a, b);
    case 12: return at::gt(a, b);
    case 13: return at::ge(a, b);
    case 14: return at::logical_and(a, b);
    case 15: return at::logical_or(a, b);
    case 16: return at::atan2(a, b);
    case 17: return at::floor_divide(a, b);
    case 18: return at::sub(b, a);
    case 19: return at::div(b, a);
    case 20: return at::pow(b, a);
  }
  TORCH_CHECK(false, "unknown binary op code ", op);
}

void binary_(int op, at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case 0: a.add_(b); return;
    case 1: a.sub_(b); return;
    case 2: a.mul_(b); return;
    case 3: a.div_(b); return;
    case 4: a.pow_(b); return;
    case 5: at::maximum_out(a, a, b); return;
    case 6: at::minimum_out(a, a, b); return;
    case 7: a.remainder_(b); return;
  }
  TORCH_CHECK(false, "binary op code ", op, " has no in-place form");
}

at::Tensor binary_scalar(int op, const at::Tensor& a, const at::Scalar& s) {
  switch (op) {
    case 0: return at::add(a, s);
    case 1: return at::sub(a, s);
    case 2: return at::mul(a, s);
    case 3: return at::div(a, s);
    case 4: return at::pow(a, s);
    case 5: return at::clamp_min(a, s);
    case 6: return at::clamp_max(a, s);
    case 7: return at::remainder(a, s);
    case 8: return at::eq(a, s);
    case 9: return at::ne(a, s);
    case 10: return at::lt(a, s);
    case 11: return at::le(a, s);
    case 12: return at::gt(a, s);
    case 13: return at::ge(a, s);
    case 17: return at::floor_divide(a, s);
    case 18: return at::rsub(a, s);
    case 19: return at::mul(at::reciprocal(a), s);
    case 20: return at::pow(s, a);
  }
  TORCH_CHECK(false, "binary op code ", op, " has no scalar form");
}

void binary_scalar_(int op, at::Tensor& a, const at::Scalar& s) {
  switch (op) {
    case 0: a.add_(s); return;
    case 1: a.sub_(s); return;
    case 2: a.mul_(s); return;
    case 3: a.div_(s); return;
    case 4: a.pow_(s); return;
    case 5: a.clamp_min_(s); return;
    case 6: a.clamp_max_(s); return;
    case 7: a.remainder_(s); return;
  }
  TORCH_CHECK(false, "binary op code ", op, " has no in-place scalar form");
}

at::Tensor unary(int op, const at::Tensor& a) {
  switch (op) {
    case 0: return at::neg(a);
    case 1: return at::abs(a);
    case 2: return at::sign(a);
    case 3: return at::exp(a);
    case 4: return at::log(a);
    case 5: return at::sqrt(a);
    case 6: return at::rsqrt(a);
    case 7: return at::sin(a);
    case 8: return at::cos(a);
    case 9: return at::tanh(a);
    case 10: return at::sigmoid(a);
    case 11: return at::relu(a);
    case 12: return at::silu(a);
    case 13: return at::floor(a);
    case 14: return at::ceil(a);
    case 15: return at::round(a);
    case 16: return at::log1p(a);
    case 17: return at::expm1(a);
    case 18: return at::reciprocal(a);
    case 19: return at::logical_not(a);
    case 20: return at::square(a);
    case 21: return at::isnan(a);
    case 22: return at::isinf(a);
    case 23: return at::isfinite(a);
    case 24: return at::erf(a);
    case 25: return at::log2(a);
    case 26: return at::trunc(a);
    case 28: return at::mish(a);
    case 29: return at::hardswish(a);
  }
  TORCH_CHECK(false, "unknown unary op code ", op);
}

void unary_(int op, at::Tensor& a) {
  switch (op) {
    case 0: a.neg_(); return;
    case 1: a.abs_(); return;
    case 3: a.exp_(); return;
    case 4: a.log_(); return;
    case 5: a.sqrt_(); return;
    case 9: a.tanh_(); return;
    case 10: a.sigmoid_(); return;
    case 11: a.relu_(); return;
    case 12: at::silu_(a); return;
    case 13: a.floor_(); return;
    case 18: a.reciprocal_(); return;
    case 20: a.square_(); return;
    case 27: a.zero_(); return;
  }
  TORCH_CHECK(false, "unary op code ", op, " has no in-place form");
}

at::Tensor reduce_all(int op, const at::Tensor& t) {
  switch (op) {
    case 0: return at::sum(t);
    case 1: return at::mean(t);
    case 2: return at::prod(t);
    case 3: return at::amax(t, at::IntArrayRef{});
    case 4: return at::amin(t, at::IntArrayRef{});
    case 5: return at::logsumexp(t.flatten(), {0});
    case 6: return at::all(t);
    case 7: return at::any(t);
    case 8: return at::norm(t);
    case 9: return at::count_nonzero(t);
  }
  TORCH_CHECK(false, "unknown reduce op code ", op);
}

at::Tensor reduce_dims(int op, const at::Tensor& t, at::IntArrayRef dims, bool keep) {
  switch (op) {
    case 0: return at::sum(t, dims, keep);
    case 1: return at::mean(t, dims, keep);
    case 2: TORCH_CHECK(dims.size() == 1, "prod takes one dim"); return at::prod(t, dims[0], keep);
    case 3: return at::amax(t, dims, keep);
    case 4: return at::amin(t, dims, keep);
    case 5: return at::logsumexp(t, dims, keep);
    case 6: TORCH_CHECK(dims.size() == 1, "all takes one dim"); return at::all(t, dims[0], keep);
    case 7: TORCH_CHECK(dims.size() == 1, "any takes one dim"); return at::any(t, dims[0], keep);
    case 8: return at::norm(t, 2, dims, keep);
    case 9: TORCH_CHECK(!keep, "count_nonzero has no keepdim"); return at::count_nonzero(t, dims);
  }
  TORCH_CHECK(false, "unknown reduce op code ", op);
}

}  // namespace

extern "C" {

int rl_binary(int op, rl_tensor a, rl_tensor b, rl_tensor* out) { RL_OUT(binary(op, T(a), T(b))) }
int rl_binary_(int op, rl_tensor a, rl_tensor b) { RL_TRY binary_(op, a->t, T(b)); RL_END }
int rl_binary_scalar(int op, rl_tensor a, double s, int is_int, rl_tensor* out) {
  RL_OUT(binary_scalar(op, T(a), rl::scalar(s, is_int)))
}
int rl_binary_scalar_(int op, rl_tensor a, double s, int is_int) {
  RL_TRY binary_scalar_(op, a->t, rl::scalar(s, is_int)); RL_END
}
int rl_add_scaled(rl_tensor a, rl_tensor b, double alpha, rl_tensor* out) { RL_OUT(at::add(T(a), T(b), alpha)) }
int rl_add_scaled_(rl_tensor a, rl_tensor b, double alpha) { RL_TRY a->t.add_(T(b), alpha); RL_END }
int rl_unary(int op, rl_tensor a, rl_tensor* out) { RL_OUT(unary(op, T(a))) }
int rl_unary_(int op, rl_tensor a) { RL_TRY unary_(op, a->t); RL_END }
int rl_fill_(rl_tensor t, double value, int is_int) { RL_TRY t->t.fill_(rl::scalar(value, is_int)); RL_END }

static c10::optional<at::Scalar> bound(double v, int has) {
  return has ? c10::optional<at::Scalar>(at::Scalar(v)) : c10::nullopt;
}
int rl_clamp(rl_tensor t, double min, double max, int has_min, int has_max, rl_tensor* out) {
  RL_OUT(at::clamp(T(t), bound(min, has_min), bound(max, has_max)))
}
int rl_clamp_(rl_tensor t, double min, double max, int has_min, int has_max) {
  RL_TRY t->t.clamp_(bound(min, has_min), bound(max, has_max)); RL_END
}
int rl_where(rl_tensor cond, rl_tensor a, rl_tensor b, rl_tensor* out) { RL_OUT(at::where(T(cond), T(a), T(b))) }
int rl_lerp_(rl_tensor t, rl_tensor end, double weight) { RL_TRY t->t.lerp_(T(end), weight); RL_END }
int rl_addcmul_(rl_tensor t, rl_tensor a, rl_tensor b, double value) { RL_TRY t->t.addcmul_(T(a), T(b), value); RL_END }
int rl_addcdiv_(rl_tensor t, rl_tensor a, rl_tensor b, double value) { RL_TRY t->t.addcdiv_(T(a), T(b), value); RL_END }
int rl_addcmul(rl_tensor t, rl_tensor a, rl_tensor b, double value, rl_tensor* out) {
  RL_OUT(at::addcmul(T(t), T(a), T(b), value))
}
int rl_addcdiv(rl_tensor t, rl_tensor a, rl_tensor b, double value, rl_tensor* out) {
  RL_OUT(at::addcdiv(T(t), T(a), T(b), value))
}
int rl_allclose(rl_tensor a, rl_tensor b, double rtol, double atol, int* out) {
  RL_TRY *out = at::allclose(T(a), T(b), rtol, atol); RL_END
}
int rl_equal(rl_tensor a, rl_tensor b, int* out) { RL_TRY *out = at::equal(T(a), T(b)); RL_END }

int rl_reduce(int op, rl_tensor t, const int64_t* dims, int ndims, int keepdim, rl_tensor* out) {
  RL_OUT(ndims == 0 ? reduce_all(op, T(t)) : reduce_dims(op, T(t), rl::ints(dims, ndims), keepdim != 0))
}
int rl_var(rl_tensor t, const int64_t* dims, int ndims, int64_t correction, int keepdim, int std, rl_tensor* out) {
  RL_TRY
  c10::optional<at::IntArrayRef> d = ndims == 0 ? c10::nullopt : c10::optional<at::IntArrayRef>(rl::ints(dims, ndims));
  *out = rl::wrap(std ? at::std(T(t), d, correction, keepdim != 0) : at::var(T(t), d, correction, keepdim != 0));
  RL_END
}
int rl_norm(rl_tensor t, double p, const int64_t* dims, int ndims, int keepdim, rl_tensor* out) {
  RL_OUT(ndims == 0 ? at::norm(T(t), p) : at::norm(T(t), p, rl::ints(dims, ndims), keepdim != 0))
}
int rl_max_dim(rl_tensor t, int64_t dim, int keepdim, int min, rl_tensor* values, rl_tensor* indices) {
  RL_TRY
  auto r = min ? at::min(T(t), dim, keepdim != 0) : at::max(T(t), dim, keepdim != 0);
  *values = rl::wrap(std::get<0>(r));
  *indices = rl::wrap(std::get<1>(r));
  RL_END
}
int rl_argmax(rl_tensor t, int64_t dim, int has_dim, int keepdim, int min, rl_tensor* out) {
  RL_TRY
  c10::optional<int64_t> d = has_dim ? c10::optional<int64_t>(dim) : c10::nullopt;
  *out = rl::wrap(min ? at::argmin(T(t), d, keepdim != 0) : at::argmax(T(t), d, keepdim != 0));
  RL_END
}
int rl_topk(rl_tensor t, int64_t k, int64_t dim, int largest, int sorted, rl_tensor* values, rl_tensor* indices) {
  RL_TRY
  auto r = at::topk(T(t), k, dim, largest != 0, sorted != 0);
  *values = rl::wrap(std::get<0>(r));
  *indices = rl::wrap(std::get<1>(r));
  RL_END
}
int rl_sort(rl_tensor t, int64_t dim, int descending, rl_tensor* values, rl_tensor* indices) {
  RL_TRY
  auto r = at::sort(T(t), dim, descending != 0);
  *values = rl::wrap(std::get<0>(r));
  *indices = rl::wrap(std::get<1>(r));
  RL_END
}
int rl_cumsum(rl_tensor t, int64_t dim, rl_tensor* out) { RL_OUT(at::cumsum(T(t), dim)) }

int rl_matmul(rl_tensor a, rl_tensor b, rl_tensor* out) { RL_OUT(at::matmul(T(a), T(b))) }
int rl_mm(rl_tensor a, rl_tensor b, rl_tensor* out) { RL_OUT(at::mm(T(a), T(b))) }
int rl_bmm(rl_tensor a, rl_tensor b, rl_tensor* out) { RL_OUT(at::bmm(T(a), T(b))) }
int rl_einsum(const char* equation, const rl_tensor* ts, int n, rl_tensor* out) {
  RL_OUT(at::einsum(equation, rl::list(ts, n)))
}

}  // extern "C"
