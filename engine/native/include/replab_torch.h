/* RepLab's flat C API over libtorch.
 *
 * Conventions (one for every function):
 *  - every function returns 0 on success and 1 on failure; rl_last_error() then
 *    holds libtorch's message for this OS thread (no C++ exception ever leaves);
 *  - tensors are opaque owning handles (rl_tensor); every handle a function
 *    writes to an out-parameter is new and must be released with rl_free;
 *  - optional tensor arguments may be NULL;
 *  - dtypes are c10::ScalarType codes, devices are (type, index) with type
 *    0 = cpu, 1 = cuda; reductions use 0 = none, 1 = mean, 2 = sum;
 *  - scalars travel as (double value, int is_integral).
 */
#ifndef REPLAB_TORCH_H
#define REPLAB_TORCH_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RL_API __attribute__((visibility("default")))

typedef struct rl_tensor_s* rl_tensor;
typedef struct rl_generator_s* rl_generator;
typedef struct rl_store_s* rl_store;
typedef struct rl_group_s* rl_group;

/* ---- runtime: errors, version, threads, seeds, devices ---- */
RL_API const char* rl_last_error(void);
RL_API void rl_set_backtrace(int enabled);
RL_API const char* rl_version(void);
RL_API int rl_set_num_threads(int n);
RL_API int rl_get_num_threads(void);
RL_API int rl_manual_seed(uint64_t seed);
RL_API int rl_get_rng_state(rl_tensor* out);
RL_API int rl_set_rng_state(rl_tensor state);
RL_API int rl_generator_new(uint64_t seed, rl_generator* out);
RL_API void rl_generator_free(rl_generator g);
RL_API int rl_generator_get_state(rl_generator g, rl_tensor* out);
RL_API int rl_generator_set_state(rl_generator g, rl_tensor state);
RL_API int rl_cuda_is_available(void);
RL_API int rl_cuda_device_count(void);
RL_API int rl_cuda_synchronize(int index);
RL_API int rl_cuda_manual_seed_all(uint64_t seed);
RL_API int rl_cuda_get_rng_state(int index, rl_tensor* out);
RL_API int rl_cuda_set_rng_state(int index, rl_tensor state);

/* ---- tensor lifecycle and properties ---- */
RL_API void rl_free(rl_tensor t);
RL_API int rl_dim(rl_tensor t, int64_t* out);
RL_API int rl_shape(rl_tensor t, int64_t* out); /* out holds rl_dim entries */
RL_API int rl_strides(rl_tensor t, int64_t* out);
RL_API int rl_dtype(rl_tensor t, int* out);
RL_API int rl_device(rl_tensor t, int* type, int* index);
RL_API int rl_numel(rl_tensor t, int64_t* out);
RL_API int rl_requires_grad(rl_tensor t, int* out);
// The name of the autograd node that made t (PyTorch's t.grad_fn.name()), NULL for a leaf; valid until the next call on this thread.
RL_API int rl_grad_fn_name(rl_tensor t, const char** out);
RL_API int rl_set_requires_grad(rl_tensor t, int value);
RL_API int rl_is_leaf(rl_tensor t, int* out);
RL_API int rl_is_contiguous(rl_tensor t, int* out);
RL_API int rl_item(rl_tensor t, double* out);
RL_API int rl_item_long(rl_tensor t, int64_t* out);
RL_API int rl_shares_storage(rl_tensor a, rl_tensor b, int* out);

/* ---- creation ---- */
RL_API int rl_from_blob(const void* data, const int64_t* shape, int ndim, int dtype, rl_tensor* out);
RL_API int rl_copy_to_host(rl_tensor t, void* dst, int64_t nbytes);
RL_API int rl_empty(const int64_t* shape, int ndim, int dtype, int dev, int dev_index, rl_tensor* out);
RL_API int rl_full(const int64_t* shape, int ndim, double value, int is_int, int dtype, int dev, int dev_index, rl_tensor* out);
RL_API int rl_arange(double start, double end, double step, int dtype, int dev, int dev_index, rl_tensor* out);
RL_API int rl_linspace(double start, double end, int64_t steps, int dtype, int dev, int dev_index, rl_tensor* out);
RL_API int rl_eye(int64_t n, int64_t m, int dtype, int dev, int dev_index, rl_tensor* out);
RL_API int rl_rand(const int64_t* shape, int ndim, int dtype, int dev, int dev_index, rl_generator g, rl_tensor* out);
RL_API int rl_randn(const int64_t* shape, int ndim, int dtype, int dev, int dev_index, rl_generator g, rl_tensor* out);
RL_API int rl_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, int dtype, int dev, int dev_index, rl_generator g, rl_tensor* out);
RL_API int rl_randperm(int64_t n, int dtype, int dev, int dev_index, rl_generator g, rl_tensor* out);
RL_API int rl_uniform_(rl_tensor t, double from, double to, rl_generator g);
RL_API int rl_normal_(rl_tensor t, double mean, double std, rl_generator g);
RL_API int rl_bernoulli(rl_tensor probs, rl_generator g, rl_tensor* out);
RL_API int rl_bernoulli_p(rl_tensor like, double p, rl_generator g, rl_tensor* out);
RL_API int rl_multinomial(rl_tensor probs, int64_t n, int replacement, rl_generator g, rl_tensor* out);

/* ---- conversion ---- */
RL_API int rl_to(rl_tensor t, int dev, int dev_index, int dtype, int non_blocking, int copy, rl_tensor* out);
RL_API int rl_contiguous(rl_tensor t, rl_tensor* out);
RL_API int rl_clone(rl_tensor t, rl_tensor* out);
RL_API int rl_detach(rl_tensor t, rl_tensor* out);
RL_API int rl_alias(rl_tensor t, rl_tensor* out); /* a second handle to the same tensor */
RL_API int rl_copy_(rl_tensor dst, rl_tensor src);
RL_API int rl_set_data(rl_tensor t, rl_tensor data); /* swap the data under a tensor, keeping its autograd identity */

/* ---- views and indexing ---- */
RL_API int rl_reshape(rl_tensor t, const int64_t* shape, int ndim, rl_tensor* out);
RL_API int rl_view(rl_tensor t, const int64_t* shape, int ndim, rl_tensor* out);
RL_API int rl_permute(rl_tensor t, const int64_t* dims, int ndim, rl_tensor* out);
RL_API int rl_transpose(rl_tensor t, int64_t d0, int64_t d1, rl_tensor* out);
RL_API int rl_narrow(rl_tensor t, int64_t dim, int64_t start, int64_t length, rl_tensor* out);
RL_API int rl_slice(rl_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, rl_tensor* out);
RL_API int rl_select(rl_tensor t, int64_t dim, int64_t index, rl_tensor* out);
RL_API int rl_index_select(rl_tensor t, int64_t dim, rl_tensor index, rl_tensor* out);
RL_API int rl_index(rl_tensor t, const rl_tensor* indices, int n, rl_tensor* out); /* advanced indexing; NULL = full slice */
RL_API int rl_index_put_(rl_tensor t, const rl_tensor* indices, int n, rl_tensor values, int accumulate);
RL_API int rl_masked_select(rl_tensor t, rl_tensor mask, rl_tensor* out);
RL_API int rl_gather(rl_tensor t, int64_t dim, rl_tensor index, rl_tensor* out);
RL_API int rl_scatter(rl_tensor t, int64_t dim, rl_tensor index, rl_tensor src, int add, rl_tensor* out);
RL_API int rl_scatter_(rl_tensor t, int64_t dim, rl_tensor index, rl_tensor src, int add);
RL_API int rl_masked_fill(rl_tensor t, rl_tensor mask, double value, int is_int, rl_tensor* out);
RL_API int rl_masked_fill_(rl_tensor t, rl_tensor mask, double value, int is_int);
RL_API int rl_cat(const rl_tensor* ts, int n, int64_t dim, rl_tensor* out);
RL_API int rl_stack(const rl_tensor* ts, int n, int64_t dim, rl_tensor* out);
RL_API int rl_split(rl_tensor t, int64_t size, int64_t dim, rl_tensor* outs, int capacity, int* count);
RL_API int rl_split_sizes(rl_tensor t, const int64_t* sizes, int n, int64_t dim, rl_tensor* outs);
RL_API int rl_chunk(rl_tensor t, int64_t chunks, int64_t dim, rl_tensor* outs, int capacity, int* count);
RL_API int rl_flip(rl_tensor t, const int64_t* dims, int n, rl_tensor* out);
RL_API int rl_roll(rl_tensor t, const int64_t* shifts, const int64_t* dims, int n, rl_tensor* out);
RL_API int rl_expand(rl_tensor t, const int64_t* shape, int ndim, rl_tensor* out);
RL_API int rl_repeat(rl_tensor t, const int64_t* repeats, int ndim, rl_tensor* out);
RL_API int rl_squeeze(rl_tensor t, int64_t dim, int all, rl_tensor* out);
RL_API int rl_unsqueeze(rl_tensor t, int64_t dim, rl_tensor* out);
RL_API int rl_flatten(rl_tensor t, int64_t start, int64_t end, rl_tensor* out);
RL_API int rl_tril(rl_tensor t, int64_t diagonal, int upper, rl_tensor* out);
RL_API int rl_diag(rl_tensor t, int64_t diagonal, rl_tensor* out);

/* ---- elementwise math ---- */
/* binary op codes: 0 add 1 sub 2 mul 3 div 4 pow 5 maximum 6 minimum 7 remainder
 * 8 eq 9 ne 10 lt 11 le 12 gt 13 ge 14 logical_and 15 logical_or 16 atan2
 * 17 floor_divide 18 rsub (s - t) 19 rdiv (s / t) 20 rpow (s ** t) */
RL_API int rl_binary(int op, rl_tensor a, rl_tensor b, rl_tensor* out);
RL_API int rl_binary_(int op, rl_tensor a, rl_tensor b);
RL_API int rl_binary_scalar(int op, rl_tensor a, double s, int is_int, rl_tensor* out);
RL_API int rl_binary_scalar_(int op, rl_tensor a, double s, int is_int);
RL_API int rl_add_scaled(rl_tensor a, rl_tensor b, double alpha, rl_tensor* out);
RL_API int rl_add_scaled_(rl_tensor a, rl_tensor b, double alpha);
/* unary op codes: 0 neg 1 abs 2 sign 3 exp 4 log 5 sqrt 6 rsqrt 7 sin 8 cos
 * 9 tanh 10 sigmoid 11 relu 12 silu 13 floor 14 ceil 15 round 16 log1p 17 expm1
 * 18 reciprocal 19 logical_not 20 square 21 isnan 22 isinf 23 isfinite 24 erf
 * 25 log2 26 trunc 27 zero (in place only) 28 mish 29 hardswish */
RL_API int rl_unary(int op, rl_tensor a, rl_tensor* out);
RL_API int rl_unary_(int op, rl_tensor a);
RL_API int rl_fill_(rl_tensor t, double value, int is_int);
RL_API int rl_clamp(rl_tensor t, double min, double max, int has_min, int has_max, rl_tensor* out);
RL_API int rl_clamp_(rl_tensor t, double min, double max, int has_min, int has_max);
RL_API int rl_where(rl_tensor cond, rl_tensor a, rl_tensor b, rl_tensor* out);
RL_API int rl_lerp_(rl_tensor t, rl_tensor end, double weight);
RL_API int rl_addcmul_(rl_tensor t, rl_tensor a, rl_tensor b, double value);
RL_API int rl_addcdiv_(rl_tensor t, rl_tensor a, rl_tensor b, double value);
RL_API int rl_addcmul(rl_tensor t, rl_tensor a, rl_tensor b, double value, rl_tensor* out);
RL_API int rl_addcdiv(rl_tensor t, rl_tensor a, rl_tensor b, double value, rl_tensor* out);
RL_API int rl_allclose(rl_tensor a, rl_tensor b, double rtol, double atol, int* out);
RL_API int rl_equal(rl_tensor a, rl_tensor b, int* out);

/* ---- reductions ---- */
/* reduce op codes: 0 sum 1 mean 2 prod 3 amax 4 amin 5 logsumexp 6 all 7 any
 * 8 norm2 9 count_nonzero; ndims == 0 reduces over everything. */
RL_API int rl_reduce(int op, rl_tensor t, const int64_t* dims, int ndims, int keepdim, rl_tensor* out);
RL_API int rl_var(rl_tensor t, const int64_t* dims, int ndims, int64_t correction, int keepdim, int std, rl_tensor* out);
RL_API int rl_norm(rl_tensor t, double p, const int64_t* dims, int ndims, int keepdim, rl_tensor* out);
RL_API int rl_max_dim(rl_tensor t, int64_t dim, int keepdim, int min, rl_tensor* values, rl_tensor* indices);
RL_API int rl_argmax(rl_tensor t, int64_t dim, int has_dim, int keepdim, int min, rl_tensor* out);
RL_API int rl_topk(rl_tensor t, int64_t k, int64_t dim, int largest, int sorted, rl_tensor* values, rl_tensor* indices);
RL_API int rl_sort(rl_tensor t, int64_t dim, int descending, rl_tensor* values, rl_tensor* indices);
RL_API int rl_cumsum(rl_tensor t, int64_t dim, rl_tensor* out);

/* ---- linear algebra ---- */
RL_API int rl_matmul(rl_tensor a, rl_tensor b, rl_tensor* out);
RL_API int rl_mm(rl_tensor a, rl_tensor b, rl_tensor* out);
RL_API int rl_bmm(rl_tensor a, rl_tensor b, rl_tensor* out);
RL_API int rl_einsum(const char* equation, const rl_tensor* ts, int n, rl_tensor* out);

/* ---- neural-network functions ---- */
RL_API int rl_conv2d(rl_tensor x, rl_tensor w, rl_tensor b, const int64_t* stride, const int64_t* padding,
                     const int64_t* dilation, int64_t groups, rl_tensor* out);
RL_API int rl_conv_transpose2d(rl_tensor x, rl_tensor w, rl_tensor b, const int64_t* stride, const int64_t* padding,
                               const int64_t* output_padding, int64_t groups, const int64_t* dilation, rl_tensor* out);
/* The same transposed convolution computed as the input-gradient of the adjoint
 * convolution, with its own backward; much faster on CPU builds whose
 * conv_transpose2d takes a slow path (ENGINE-NOTES). */
RL_API int rl_conv_transpose2d_adjoint(rl_tensor x, rl_tensor w, rl_tensor b, const int64_t* stride, const int64_t* padding,
                                       const int64_t* output_padding, int64_t groups, const int64_t* dilation, rl_tensor* out);
RL_API int rl_linear(rl_tensor x, rl_tensor w, rl_tensor b, rl_tensor* out);
// Batch norm followed by an activation (act 0 none, 1 ReLU, 2 LeakyReLU with slope). With fused != 0,
// training-mode float32 CPU inputs (NCHW or channels-last) take the fused kernels of norm.cpp;
// everything else, and fused == 0, is libtorch's batch_norm then the activation.
RL_API int rl_batch_norm(rl_tensor x, rl_tensor w, rl_tensor b, rl_tensor running_mean, rl_tensor running_var,
                         int training, double momentum, double eps, int act, double slope, int fused, rl_tensor* out);
RL_API int rl_group_norm(rl_tensor x, int64_t groups, rl_tensor w, rl_tensor b, double eps, rl_tensor* out);
RL_API int rl_layer_norm(rl_tensor x, const int64_t* shape, int ndim, rl_tensor w, rl_tensor b, double eps, rl_tensor* out);
RL_API int rl_dropout(rl_tensor x, double p, int training, int feature, rl_tensor* out);
RL_API int rl_max_pool2d(rl_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                         const int64_t* dilation, int ceil_mode, rl_tensor* out);
RL_API int rl_avg_pool2d(rl_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                         int ceil_mode, int count_include_pad, rl_tensor* out);
RL_API int rl_adaptive_avg_pool2d(rl_tensor x, const int64_t* size, rl_tensor* out);
RL_API int rl_adaptive_max_pool2d(rl_tensor x, const int64_t* size, rl_tensor* out);
/* mode 0 nearest, 1 bilinear, 2 bicubic; antialias (bilinear, bicubic) filters when downscaling */
RL_API int rl_upsample2d(rl_tensor x, const int64_t* size, double scale_h, double scale_w, int mode, int align_corners,
                         int antialias, rl_tensor* out); /* scale <= 0: none */
RL_API int rl_affine_grid(rl_tensor theta, const int64_t* size, int ndim, int align_corners, rl_tensor* out);
/* mode 0 bilinear 1 nearest; padding 0 zeros 1 border 2 reflection */
RL_API int rl_grid_sample(rl_tensor x, rl_tensor grid, int mode, int padding_mode, int align_corners, rl_tensor* out);
/* mode 0 constant 1 reflect 2 replicate */
RL_API int rl_pad(rl_tensor x, const int64_t* pads, int n, int mode, double value, rl_tensor* out);
RL_API int rl_leaky_relu(rl_tensor x, double slope, rl_tensor* out);
RL_API int rl_elu(rl_tensor x, double alpha, rl_tensor* out);
RL_API int rl_gelu(rl_tensor x, int tanh_approx, rl_tensor* out);
RL_API int rl_softplus(rl_tensor x, double beta, double threshold, rl_tensor* out);
RL_API int rl_hardtanh(rl_tensor x, double min, double max, rl_tensor* out);
RL_API int rl_softmax(rl_tensor x, int64_t dim, int log, rl_tensor* out);
RL_API int rl_cosine_similarity(rl_tensor a, rl_tensor b, int64_t dim, double eps, rl_tensor* out);
RL_API int rl_one_hot(rl_tensor t, int64_t classes, rl_tensor* out);
RL_API int rl_mse_loss(rl_tensor x, rl_tensor y, int reduction, rl_tensor* out);
RL_API int rl_l1_loss(rl_tensor x, rl_tensor y, int reduction, rl_tensor* out);
RL_API int rl_smooth_l1_loss(rl_tensor x, rl_tensor y, int reduction, double beta, rl_tensor* out);
RL_API int rl_bce(rl_tensor x, rl_tensor y, rl_tensor weight, int reduction, rl_tensor* out);
RL_API int rl_bce_with_logits(rl_tensor x, rl_tensor y, rl_tensor weight, rl_tensor pos_weight, int reduction, rl_tensor* out);
RL_API int rl_cross_entropy(rl_tensor x, rl_tensor y, rl_tensor weight, int reduction, int64_t ignore_index,
                            double label_smoothing, rl_tensor* out);
RL_API int rl_nll_loss(rl_tensor x, rl_tensor y, rl_tensor weight, int reduction, int64_t ignore_index, rl_tensor* out);
RL_API int rl_kl_div(rl_tensor x, rl_tensor y, int reduction, int log_target, rl_tensor* out);

/* ---- fused image kernels (CPU, float32/float64, contiguous [N, C, H, W], C = 1 or 3) ---- */
/* In place, per sample i: 4 stages stages[8 i + 2 k] = op (0 brightness, 1 contrast,
 * 2 saturation, 3 hue, other: none), stages[8 i + 2 k + 1] = its factor (hue: the shift). */
RL_API int rl_color_jitter_(rl_tensor x, const double* stages, int64_t n);
/* Separable resampling to out_h x out_w with per-sample taps: output row r of sample i blends
 * source rows iy[(i out_h + r) ky + t] with weights wy[...] (t < ky), then columns likewise with
 * ix, wx, kx; clamped to [0, 1]. The taps (bilinear, antialiased) are computed by the caller. */
RL_API int rl_resample(rl_tensor x, const int64_t* iy, const double* wy, int64_t ky, const int64_t* ix, const double* wx, int64_t kx,
                       int64_t out_h, int64_t out_w, rl_tensor* out);
/* Per sample where apply[i] != 0, a new tensor: op 0 flip left-right, 1 flip top-bottom,
 * 2 BT.601 luma in all 3 channels, 3 solarize (1 - x where x >= param); other samples copied. */
RL_API int rl_sample_map(rl_tensor x, int op, double param, const uint8_t* apply, rl_tensor* out);
RL_API int rl_gaussian_blur(rl_tensor x, const double* kernels, int64_t radius, const uint8_t* apply, rl_tensor* out);

/* ---- autograd ---- */
RL_API int rl_is_grad_enabled(void);
RL_API int rl_set_grad_enabled(int enabled); /* returns the previous mode */
RL_API int rl_backward(rl_tensor t, rl_tensor grad, int retain_graph, int create_graph);
RL_API int rl_grad(rl_tensor t, rl_tensor* out); /* *out = NULL when there is no gradient */
RL_API int rl_set_grad(rl_tensor t, rl_tensor grad); /* grad NULL clears it */
RL_API int rl_autograd_grad(const rl_tensor* outputs, int n_out, const rl_tensor* grad_outputs,
                            const rl_tensor* inputs, int n_in, int retain_graph, int create_graph,
                            int allow_unused, rl_tensor* grads);

/* ---- distributed (c10d): stores, process groups, collectives ---- */
/* Stores: a TCPStore (is_server: this process hosts the server; port 0 picks a free one,
 * rl_store_port tells which) or a FileStore. Get waits up to the store's timeout; its bytes are
 * valid until the next rl_store_get on this thread. */
RL_API int rl_store_tcp(const char* host, int port, int world_size, int is_server, int64_t timeout_ms, rl_store* out);
RL_API int rl_store_file(const char* path, int world_size, int64_t timeout_ms, rl_store* out);
RL_API void rl_store_free(rl_store s);
RL_API int rl_store_port(rl_store s, int* out);
RL_API int rl_store_set(rl_store s, const char* key, const uint8_t* data, int64_t n);
RL_API int rl_store_get(rl_store s, const char* key, const uint8_t** data, int64_t* n);
RL_API int rl_store_add(rl_store s, const char* key, int64_t delta, int64_t* out);
RL_API int rl_store_check(rl_store s, const char* key, int* out);
/* Process groups (backend 0 Gloo, 1 NCCL: an error where libtorch has no NCCL). Every collective
 * waits up to timeout_ms; a failure names the collective and the rank. rl_group_free closes the
 * group at once (its connections end; a graph still holding it fails clearly) and drops the
 * caller's reference. Reduce op codes: 0 sum 1 product 2 min 3 max. */
RL_API int rl_group_new(int backend, rl_store s, int rank, int world_size, int64_t timeout_ms, rl_group* out);
RL_API void rl_group_free(rl_group g);
RL_API int rl_group_allreduce(rl_group g, const rl_tensor* ts, int n, int op); /* in place */
RL_API int rl_group_broadcast(rl_group g, rl_tensor t, int root);            /* in place */
RL_API int rl_group_allgather(rl_group g, rl_tensor t, rl_tensor* outs);     /* outs: world_size entries */
RL_API int rl_group_barrier(rl_group g);
/* Differentiable: cat of every rank's x along dim 0 (backward: the gradient summed over ranks,
 * this rank's rows); the sum of x over ranks (backward: the gradient summed over ranks). */
RL_API int rl_all_gather(rl_tensor x, rl_group g, rl_tensor* out);
RL_API int rl_all_reduce(rl_tensor x, rl_group g, rl_tensor* out);

#ifdef __cplusplus
}
#endif
#endif
