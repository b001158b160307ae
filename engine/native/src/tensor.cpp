// Tensor lifecycle, properties, creation, conversion, views and indexing.
#include "common.h"
#include <cstring>

using rl::T;

extern "C" {

void rl_free(rl_tensor t) { delete t; }

int rl_dim(rl_tensor t, int64_t* out) { RL_TRY *out = T(t).dim(); RL_END }
int rl_shape(rl_tensor t, int64_t* out) {
  RL_TRY auto s = T(t).sizes(); std::copy(s.begin(), s.end(), out); RL_END
}
int rl_strides(rl_tensor t, int64_t* out) {
  RL_TRY auto s = T(t).strides(); std::copy(s.begin(), s.end(), out); RL_END
}
int rl_dtype(rl_tensor t, int* out) { RL_TRY *out = static_cast<int>(T(t).scalar_type()); RL_END }
int rl_device(rl_tensor t, int* type, int* index) {
  RL_TRY
  auto d = T(t).device();
  *type = d.is_cuda() ? 1 : 0;
  *index = d.has_index() ? d.index() : 0;
  RL_END
}
int rl_numel(rl_tensor t, int64_t* out) { RL_TRY *out = T(t).numel(); RL_END }
int rl_requires_grad(rl_tensor t, int* out) { RL_TRY *out = T(t).requires_grad(); RL_END }
int rl_grad_fn_name(rl_tensor t, const char** out) {
  RL_TRY
  thread_local std::string name;
  const auto& fn = T(t).grad_fn();
  name = fn ? fn->name() : "";
  *out = fn ? name.c_str() : nullptr;
  RL_END
}
int rl_set_requires_grad(rl_tensor t, int value) { RL_TRY t->t.requires_grad_(value != 0); RL_END }
int rl_is_leaf(rl_tensor t, int* out) { RL_TRY *out = T(t).is_leaf(); RL_END }
int rl_is_contiguous(rl_tensor t, int* out) { RL_TRY *out = T(t).is_contiguous(); RL_END }
int rl_item(rl_tensor t, double* out) { RL_TRY *out = T(t).item<double>(); RL_END }
int rl_item_long(rl_tensor t, int64_t* out) { RL_TRY *out = T(t).item<int64_t>(); RL_END }
int rl_shares_storage(rl_tensor a, rl_tensor b, int* out) { RL_TRY *out = T(a).is_alias_of(T(b)); RL_END }

int rl_from_blob(const void* data, const int64_t* shape, int ndim, int dtype, rl_tensor* out) {
  RL_TRY
  auto t = at::empty(rl::ints(shape, ndim), rl::options(dtype, 0, 0));
  if (t.numel() > 0) std::memcpy(t.data_ptr(), data, t.nbytes());
  *out = rl::wrap(std::move(t));
  RL_END
}

int rl_copy_to_host(rl_tensor t, void* dst, int64_t nbytes) {
  RL_TRY
  auto c = T(t).detach().to(at::kCPU).contiguous();
  TORCH_CHECK(static_cast<int64_t>(c.nbytes()) == nbytes, "copy_to_host: buffer holds ", nbytes,
              " bytes, tensor needs ", c.nbytes());
  if (nbytes > 0) std::memcpy(dst, c.data_ptr(), nbytes);
  RL_END
}

int rl_empty(const int64_t* shape, int ndim, int dtype, int dev, int idx, rl_tensor* out) {
  RL_OUT(at::empty(rl::ints(shape, ndim), rl::options(dtype, dev, idx)))
}
int rl_full(const int64_t* shape, int ndim, double value, int is_int, int dtype, int dev, int idx, rl_tensor* out) {
  RL_OUT(at::full(rl::ints(shape, ndim), rl::scalar(value, is_int), rl::options(dtype, dev, idx)))
}
int rl_arange(double start, double end, double step, int dtype, int dev, int idx, rl_tensor* out) {
  RL_OUT(at::arange(start, end, step, rl::options(dtype, dev, idx)))
}
int rl_linspace(double start, double end, int64_t steps, int dtype, int dev, int idx, rl_tensor* out) {
  RL_OUT(at::linspace(start, end, steps, rl::options(dtype, dev, idx)))
}
int rl_eye(int64_t n, int64_t m, int dtype, int dev, int idx, rl_tensor* out) {
  RL_OUT(at::eye(n, m, rl::options(dtype, dev, idx)))
}
int rl_rand(const int64_t* shape, int ndim, int dtype, int dev, int idx, rl_generator g, rl_tensor* out) {
  RL_OUT(at::rand(rl::ints(shape, ndim), rl::gen(g), rl::options(dtype, dev, idx)))
}
int rl_randn(const int64_t* shape, int ndim, int dtype, int dev, int idx, rl_generator g, rl_tensor* out) {
  RL_OUT(at::randn(rl::ints(shape, ndim), rl::gen(g), rl::options(dtype, dev, idx)))
}
int rl_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, int dtype, int dev, int idx,
               rl_generator g, rl_tensor* out) {
  RL_OUT(at::randint(low, high, rl::ints(shape, ndim), rl::gen(g), rl::options(dtype, dev, idx)))
}
int rl_randperm(int64_t n, int dtype, int dev, int idx, rl_generator g, rl_tensor* out) {
  RL_OUT(at::randperm(n, rl::gen(g), rl::options(dtype, dev, idx)))
}
int rl_uniform_(rl_tensor t, double from, double to, rl_generator g) {
  RL_TRY at::NoGradGuard ng; t->t.uniform_(from, to, rl::gen(g)); RL_END
}
int rl_normal_(rl_tensor t, double mean, double std, rl_generator g) {
  RL_TRY at::NoGradGuard ng; t->t.normal_(mean, std, rl::gen(g)); RL_END
}
int rl_bernoulli(rl_tensor probs, rl_generator g, rl_tensor* out) { RL_OUT(at::bernoulli(T(probs), rl::gen(g))) }
int rl_bernoulli_p(rl_tensor like, double p, rl_generator g, rl_tensor* out) {
  RL_OUT(at::empty_like(T(like)).bernoulli_(p, rl::gen(g)))
}
int rl_multinomial(rl_tensor probs, int64_t n, int replacement, rl_generator g, rl_tensor* out) {
  RL_OUT(at::multinomial(T(probs), n, replacement != 0, rl::gen(g)))
}

int rl_to(rl_tensor t, int dev, int idx, int dtype, int non_blocking, int copy, rl_tensor* out) {
  RL_TRY
  auto st = dtype < 0 ? T(t).scalar_type() : static_cast<at::ScalarType>(dtype);
  auto d = dev < 0 ? T(t).device() : rl::device(dev, idx);
  *out = rl::wrap(T(t).to(d, st, non_blocking != 0, copy != 0));
  RL_END
}
int rl_contiguous(rl_tensor t, rl_tensor* out) { RL_OUT(T(t).contiguous()) }
int rl_clone(rl_tensor t, rl_tensor* out) { RL_OUT(T(t).clone()) }
int rl_detach(rl_tensor t, rl_tensor* out) { RL_OUT(T(t).detach()) }
int rl_alias(rl_tensor t, rl_tensor* out) { RL_OUT(T(t)) }
int rl_copy_(rl_tensor dst, rl_tensor src) { RL_TRY dst->t.copy_(T(src)); RL_END }
int rl_set_data(rl_tensor t, rl_tensor data) { RL_TRY t->t.set_data(T(data)); RL_END }

int rl_reshape(rl_tensor t, const int64_t* shape, int ndim, rl_tensor* out) { RL_OUT(T(t).reshape(rl::ints(shape, ndim))) }
int rl_view(rl_tensor t, const int64_t* shape, int ndim, rl_tensor* out) { RL_OUT(T(t).view(rl::ints(shape, ndim))) }
int rl_permute(rl_tensor t, const int64_t* dims, int ndim, rl_tensor* out) { RL_OUT(T(t).permute(rl::ints(dims, ndim))) }
int rl_transpose(rl_tensor t, int64_t d0, int64_t d1, rl_tensor* out) { RL_OUT(T(t).transpose(d0, d1)) }
int rl_narrow(rl_tensor t, int64_t dim, int64_t start, int64_t length, rl_tensor* out) {
  RL_OUT(T(t).narrow(dim, start, length))
}
int rl_slice(rl_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, rl_tensor* out) {
  RL_OUT(T(t).slice(dim, start, end, step))
}
int rl_select(rl_tensor t, int64_t dim, int64_t index, rl_tensor* out) { RL_OUT(T(t).select(dim, index)) }
int rl_index_select(rl_tensor t, int64_t dim, rl_tensor index, rl_tensor* out) {
  RL_OUT(T(t).index_select(dim, T(index)))
}

static c10::List<c10::optional<at::Tensor>> index_list(const rl_tensor* indices, int n) {
  c10::List<c10::optional<at::Tensor>> l;
  for (int i = 0; i < n; i++) l.push_back(rl::opt(indices[i]));
  return l;
}
int rl_index(rl_tensor t, const rl_tensor* indices, int n, rl_tensor* out) {
  RL_OUT(at::index(T(t), index_list(indices, n)))
}
int rl_index_put_(rl_tensor t, const rl_tensor* indices, int n, rl_tensor values, int accumulate) {
  RL_TRY at::index_put_(t->t, index_list(indices, n), T(values), accumulate != 0); RL_END
}
int rl_masked_select(rl_tensor t, rl_tensor mask, rl_tensor* out) { RL_OUT(T(t).masked_select(T(mask))) }
int rl_gather(rl_tensor t, int64_t dim, rl_tensor index, rl_tensor* out) { RL_OUT(T(t).gather(dim, T(index))) }
int rl_scatter(rl_tensor t, int64_t dim, rl_tensor index, rl_tensor src, int add, rl_tensor* out) {
  RL_OUT(add ? T(t).scatter_add(dim, T(index), T(src)) : T(t).scatter(dim, T(index), T(src)))
}
int rl_scatter_(rl_tensor t, int64_t dim, rl_tensor index, rl_tensor src, int add) {
  RL_TRY if (add) t->t.scatter_add_(dim, T(index), T(src)); else t->t.scatter_(dim, T(index), T(src)); RL_END
}
int rl_masked_fill(rl_tensor t, rl_tensor mask, double value, int is_int, rl_tensor* out) {
  RL_OUT(T(t).masked_fill(T(mask), rl::scalar(value, is_int)))
}
int rl_masked_fill_(rl_tensor t, rl_tensor mask, double value, int is_int) {
  RL_TRY t->t.masked_fill_(T(mask), rl::scalar(value, is_int)); RL_END
}
int rl_cat(const rl_tensor* ts, int n, int64_t dim, rl_tensor* out) { RL_OUT(at::cat(rl::list(ts, n), dim)) }
int rl_stack(const rl_tensor* ts, int n, int64_t dim, rl_tensor* out) { RL_OUT(at::stack(rl::list(ts, n), dim)) }

static int write_list(const std::vector<at::Tensor>& parts, rl_tensor* outs, int capacity, int* count) {
  TORCH_CHECK(static_cast<int>(parts.size()) <= capacity, "internal: ", parts.size(), " parts, room for ", capacity);
  for (size_t i = 0; i < parts.size(); i++) outs[i] = rl::wrap(parts[i]);
  *count = static_cast<int>(parts.size());
  return 0;
}
int rl_split(rl_tensor t, int64_t size, int64_t dim, rl_tensor* outs, int capacity, int* count) {
  RL_TRY write_list(T(t).split(size, dim), outs, capacity, count); RL_END
}
int rl_split_sizes(rl_tensor t, const int64_t* sizes, int n, int64_t dim, rl_tensor* outs) {
  RL_TRY int c; write_list(T(t).split_with_sizes(rl::ints(sizes, n), dim), outs, n, &c); RL_END
}
int rl_chunk(rl_tensor t, int64_t chunks, int64_t dim, rl_tensor* outs, int capacity, int* count) {
  RL_TRY write_list(T(t).chunk(chunks, dim), outs, capacity, count); RL_END
}
int rl_flip(rl_tensor t, const int64_t* dims, int n, rl_tensor* out) { RL_OUT(T(t).flip(rl::ints(dims, n))) }
int rl_roll(rl_tensor t, const int64_t* shifts, const int64_t* dims, int n, rl_tensor* out) {
  RL_OUT(T(t).roll(rl::ints(shifts, n), rl::ints(dims, n)))
}
int rl_expand(rl_tensor t, const int64_t* shape, int ndim, rl_tensor* out) { RL_OUT(T(t).expand(rl::ints(shape, ndim))) }
int rl_repeat(rl_tensor t, const int64_t* repeats, int ndim, rl_tensor* out) { RL_OUT(T(t).repeat(rl::ints(repeats, ndim))) }
int rl_squeeze(rl_tensor t, int64_t dim, int all, rl_tensor* out) { RL_OUT(all ? T(t).squeeze() : T(t).squeeze(dim)) }
int rl_unsqueeze(rl_tensor t, int64_t dim, rl_tensor* out) { RL_OUT(T(t).unsqueeze(dim)) }
int rl_flatten(rl_tensor t, int64_t start, int64_t end, rl_tensor* out) { RL_OUT(T(t).flatten(start, end)) }
int rl_tril(rl_tensor t, int64_t diagonal, int upper, rl_tensor* out) {
  RL_OUT(upper ? T(t).triu(diagonal) : T(t).tril(diagonal))
}
int rl_diag(rl_tensor t, int64_t diagonal, rl_tensor* out) { RL_OUT(T(t).diag(diagonal)) }

}  // extern "C"
