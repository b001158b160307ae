// Neural-network functions: convolutions, normalisation, pooling, resampling,
// activations and losses.
#include "common.h"

using rl::T;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

// conv_transpose2d as the input-gradient of the adjoint conv2d. Forward asks
// convolution_backward for grad_input only; backward is a plain conv2d for the
// input and a conv weight-gradient for the weight.
struct AdjointConvTranspose2d : torch::autograd::Function<AdjointConvTranspose2d> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, std::vector<int64_t> stride,
                            std::vector<int64_t> padding, std::vector<int64_t> output_padding, int64_t groups,
                            std::vector<int64_t> dilation) {
    TORCH_CHECK(x.dim() == 4, "conv_transpose2d: expected a 4-D input, got ", x.dim(), "-D");
    TORCH_CHECK(w.dim() == 4, "conv_transpose2d: expected a 4-D weight, got ", w.dim(), "-D");
    TORCH_CHECK(x.size(1) == w.size(0), "conv_transpose2d: input has ", x.size(1), " channels, weight expects ",
                w.size(0));
    std::vector<int64_t> shape{x.size(0), w.size(1) * groups, 0, 0};
    for (int i = 0; i < 2; i++)
      shape[2 + i] = (x.size(2 + i) - 1) * stride[i] - 2 * padding[i] + dilation[i] * (w.size(2 + i) - 1) +
                     output_padding[i] + 1;
    ctx->save_for_backward({x, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["groups"] = groups;
    auto shape_only = at::empty(shape, x.options());
    auto r = at::convolution_backward(x, shape_only, w, c10::nullopt, stride, padding, dilation, false, {0, 0}, groups,
                                      {true, false, false});
    return std::get<0>(r);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto x = saved[0], w = saved[1];
    auto stride = ctx->saved_data["stride"].toIntVector();
    auto padding = ctx->saved_data["padding"].toIntVector();
    auto dilation = ctx->saved_data["dilation"].toIntVector();
    auto groups = ctx->saved_data["groups"].toInt();
    auto g = grads[0].contiguous();
    at::Tensor gx, gw;
    if (ctx->needs_input_grad(0)) gx = at::conv2d(g, w, {}, stride, padding, dilation, groups);
    if (ctx->needs_input_grad(1))
      gw = std::get<1>(at::convolution_backward(x, g, w, c10::nullopt, stride, padding, dilation, false, {0, 0},
                                                groups, {false, true, false}));
    return {gx, gw, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

std::vector<int64_t> v2(const int64_t* p) { return {p[0], p[1]}; }

}  // namespace

extern "C" {

int rl_conv2d(rl_tensor x, rl_tensor w, rl_tensor b, const int64_t* stride, const int64_t* padding,
              const int64_t* dilation, int64_t groups, rl_tensor* out) {
  RL_OUT(at::conv2d(T(x), T(w), rl::opt(b), rl::ints(stride, 2), rl::ints(padding, 2), rl::ints(dilation, 2), groups))
}
int rl_conv_transpose2d(rl_tensor x, rl_tensor w, rl_tensor b, const int64_t* stride, const int64_t* padding,
                        const int64_t* output_padding, int64_t groups, const int64_t* dilation, rl_tensor* out) {
  RL_OUT(at::conv_transpose2d(T(x), T(w), rl::opt(b), rl::ints(stride, 2), rl::ints(padding, 2),
                              rl::ints(output_padding, 2), groups, rl::ints(dilation, 2)))
}
int rl_conv_transpose2d_adjoint(rl_tensor x, rl_tensor w, rl_tensor b, const int64_t* stride, const int64_t* padding,
                                const int64_t* output_padding, int64_t groups, const int64_t* dilation,
                                rl_tensor* out) {
  RL_TRY
  auto y = AdjointConvTranspose2d::apply(T(x), T(w), v2(stride), v2(padding), v2(output_padding), groups,
                                         v2(dilation));
  if (b) y = y + T(b).view({1, -1, 1, 1});
  *out = rl::wrap(y);
  RL_END
}
int rl_linear(rl_tensor x, rl_tensor w, rl_tensor b, rl_tensor* out) { RL_OUT(at::linear(T(x), T(w), rl::opt(b))) }
int rl_group_norm(rl_tensor x, int64_t groups, rl_tensor w, rl_tensor b, double eps, rl_tensor* out) {
  RL_OUT(at::group_norm(T(x), groups, rl::opt(w), rl::opt(b), eps, true))
}
int rl_layer_norm(rl_tensor x, const int64_t* shape, int ndim, rl_tensor w, rl_tensor b, double eps, rl_tensor* out) {
  RL_OUT(at::layer_norm(T(x), rl::ints(shape, ndim), rl::opt(w), rl::opt(b), eps, true))
}
int rl_dropout(rl_tensor x, double p, int training, int feature, rl_tensor* out) {
  RL_OUT(feature ? at::feature_dropout(T(x), p, training != 0) : at::dropout(T(x), p, training != 0))
}
int rl_max_pool2d(rl_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                  const int64_t* dilation, int ceil_mode, rl_tensor* out) {
  RL_OUT(at::max_pool2d(T(x), rl::ints(kernel, 2), rl::ints(stride, 2), rl::ints(padding, 2), rl::ints(dilation, 2),
                        ceil_mode != 0))
}
int rl_avg_pool2d(rl_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding, int ceil_mode,
                  int count_include_pad, rl_tensor* out) {
  RL_OUT(at::avg_pool2d(T(x), rl::ints(kernel, 2), rl::ints(stride, 2), rl::ints(padding, 2), ceil_mode != 0,
                        count_include_pad != 0))
}
int rl_adaptive_avg_pool2d(rl_tensor x, const int64_t* size, rl_tensor* out) {
  RL_OUT(at::adaptive_avg_pool2d(T(x), rl::ints(size, 2)))
}
int rl_adaptive_max_pool2d(rl_tensor x, const int64_t* size, rl_tensor* out) {
  RL_OUT(std::get<0>(at::adaptive_max_pool2d(T(x), rl::ints(size, 2))))
}
int rl_upsample2d(rl_tensor x, const int64_t* size, double scale_h, double scale_w, int mode, int align_corners,
                  int antialias, rl_tensor* out) {
  RL_TRY
  c10::optional<double> sh = scale_h > 0 ? c10::optional<double>(scale_h) : c10::nullopt;
  c10::optional<double> sw = scale_w > 0 ? c10::optional<double>(scale_w) : c10::nullopt;
  const auto s = rl::ints(size, 2);
  const bool ac = align_corners != 0;
  at::Tensor r;
  switch (mode) {
    case 0: r = at::upsample_nearest2d(T(x), s, sh, sw); break;
    case 1: r = antialias ? at::_upsample_bilinear2d_aa(T(x), s, ac, sh, sw) : at::upsample_bilinear2d(T(x), s, ac, sh, sw); break;
    case 2: r = antialias ? at::_upsample_bicubic2d_aa(T(x), s, ac, sh, sw) : at::upsample_bicubic2d(T(x), s, ac, sh, sw); break;
    default: TORCH_CHECK(false, "unknown interpolation mode code ", mode);
  }
  *out = rl::wrap(r);
  RL_END
}
int rl_affine_grid(rl_tensor theta, const int64_t* size, int ndim, int align_corners, rl_tensor* out) {
  RL_OUT(at::affine_grid_generator(T(theta), rl::ints(size, ndim), align_corners != 0))
}
int rl_grid_sample(rl_tensor x, rl_tensor grid, int mode, int padding_mode, int align_corners, rl_tensor* out) {
  RL_OUT(at::grid_sampler(T(x), T(grid), mode, padding_mode, align_corners != 0))
}
int rl_pad(rl_tensor x, const int64_t* pads, int n, int mode, double value, rl_tensor* out) {
  RL_TRY
  auto p = rl::ints(pads, n);
  at::Tensor r;
  switch (mode) {
    case 0: r = at::constant_pad_nd(T(x), p, value); break;
    case 1: r = n == 2 ? at::reflection_pad1d(T(x), p) : at::reflection_pad2d(T(x), p); break;
    case 2: r = n == 2 ? at::replication_pad1d(T(x), p) : at::replication_pad2d(T(x), p); break;
    default: TORCH_CHECK(false, "pad: unknown mode ", mode);
  }
  *out = rl::wrap(r);
  RL_END
}
int rl_leaky_relu(rl_tensor x, double slope, rl_tensor* out) { RL_OUT(at::leaky_relu(T(x), slope)) }
int rl_elu(rl_tensor x, double alpha, rl_tensor* out) { RL_OUT(at::elu(T(x), alpha)) }
int rl_gelu(rl_tensor x, int tanh_approx, rl_tensor* out) { RL_OUT(at::gelu(T(x), tanh_approx ? "tanh" : "none")) }
int rl_softplus(rl_tensor x, double beta, double threshold, rl_tensor* out) {
  RL_OUT(at::softplus(T(x), beta, threshold))
}
int rl_hardtanh(rl_tensor x, double min, double max, rl_tensor* out) { RL_OUT(at::hardtanh(T(x), min, max)) }
int rl_softmax(rl_tensor x, int64_t dim, int log, rl_tensor* out) {
  RL_OUT(log ? at::log_softmax(T(x), dim) : at::softmax(T(x), dim))
}
int rl_cosine_similarity(rl_tensor a, rl_tensor b, int64_t dim, double eps, rl_tensor* out) {
  RL_OUT(at::cosine_similarity(T(a), T(b), dim, eps))
}
int rl_one_hot(rl_tensor t, int64_t classes, rl_tensor* out) { RL_OUT(at::one_hot(T(t), classes)) }
int rl_mse_loss(rl_tensor x, rl_tensor y, int reduction, rl_tensor* out) { RL_OUT(at::mse_loss(T(x), T(y), reduction)) }
int rl_l1_loss(rl_tensor x, rl_tensor y, int reduction, rl_tensor* out) { RL_OUT(at::l1_loss(T(x), T(y), reduction)) }
int rl_smooth_l1_loss(rl_tensor x, rl_tensor y, int reduction, double beta, rl_tensor* out) {
  RL_OUT(at::smooth_l1_loss(T(x), T(y), reduction, beta))
}
int rl_bce(rl_tensor x, rl_tensor y, rl_tensor weight, int reduction, rl_tensor* out) {
  RL_OUT(at::binary_cross_entropy(T(x), T(y), rl::opt(weight), reduction))
}
int rl_bce_with_logits(rl_tensor x, rl_tensor y, rl_tensor weight, rl_tensor pos_weight, int reduction,
                       rl_tensor* out) {
  RL_OUT(at::binary_cross_entropy_with_logits(T(x), T(y), rl::opt(weight), rl::opt(pos_weight), reduction))
}
int rl_cross_entropy(rl_tensor x, rl_tensor y, rl_tensor weight, int reduction, int64_t ignore_index,
                     double label_smoothing, rl_tensor* out) {
  RL_OUT(at::cross_entropy_loss(T(x), T(y), rl::opt(weight), reduction, ignore_index, label_smoothing))
}
int rl_nll_loss(rl_tensor x, rl_tensor y, rl_tensor weight, int reduction, int64_t ignore_index, rl_tensor* out) {
  RL_OUT(at::nll_loss(T(x), T(y), rl::opt(weight), reduction, ignore_index))
}
int rl_kl_div(rl_tensor x, rl_tensor y, int reduction, int log_target, rl_tensor* out) {
  RL_OUT(at::kl_div(T(x), T(y), reduction, log_target != 0))
}

}  // extern "C"
