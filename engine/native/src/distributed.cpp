// Distributed training over libtorch's c10d: key-value stores (TCP, file), process groups (Gloo
// always, NCCL where libtorch was built with it), in-place collectives, two differentiable
// collectives (all_gather, all_reduce) and a batch norm whose statistics span every rank.
//
// Every collective waits for its work with the group's timeout, so a rank that never joins (or
// is gone) turns into an error on the others instead of a hang; the error names the collective
// and the rank ("all_reduce failed on rank 1 of 2: ...").
//
// Builds against libtorch 1.13 (Debian 12: ProcessGroupGloo derives from ProcessGroup) and 2.x
// (Debian 13's 2.6: it derives from Backend, TCPStore gains a libuv server that we turn off).
#include "common.h"
#include <torch/version.h>  // TORCH_VERSION_MAJOR/MINOR: which c10d this is
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <stdexcept>

#if !defined(TORCH_VERSION_MAJOR)
#error "torch/version.h did not define TORCH_VERSION_MAJOR"
#endif
#ifndef USE_C10D_GLOO
#error "the shim's distributed.cpp needs a libtorch with c10d's Gloo (USE_C10D_GLOO)"
#endif

using rl::T;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {
#if TORCH_VERSION_MAJOR >= 2
using Comm = c10d::Backend;
#else
using Comm = c10d::ProcessGroup;
#endif
using Ms = std::chrono::milliseconds;
}  // namespace

struct rl_store_s {
  c10::intrusive_ptr<c10d::Store> store;
  int port = 0;
  // Groups made on this store so far: group k rendezvouses under its own key prefix. Every rank
  // makes its groups in the same order (as PyTorch requires), so the prefixes agree.
  std::atomic<int> groups{0};
};

// Reference-counted: the C# handle holds one reference, and so does every autograd node of
// all_gather / all_reduce (in its saved_data, as a capsule), so a graph never outlives its group.
// The communicator itself can be closed earlier (rl_group_free); the group then reports that.
struct rl_group_s : torch::CustomClassHolder {
  std::mutex mu;
  c10::intrusive_ptr<Comm> comm;
  int rank = 0, size = 1;
  Ms timeout{0};
  bool gloo = true;
};

namespace {

std::string where(const rl_group_s& g, const char* what) {
  std::ostringstream s;
  s << what << " failed on rank " << g.rank << " of " << g.size << ": ";
  return s.str();
}

c10::intrusive_ptr<Comm> comm_of(rl_group_s& g, const char* what) {
  std::lock_guard<std::mutex> lock(g.mu);
  if (!g.comm) throw std::runtime_error(where(g, what) + "the process group is closed");
  return g.comm;
}

// Starts one collective on the group's communicator and waits for it up to the group's timeout.
// Whatever goes wrong (Gloo's errors, a peer gone, the timeout) leaves as one runtime_error.
template <typename Start>
void collective(rl_group_s& g, const char* what, Start start) {
  auto comm = comm_of(g, what);
  c10::intrusive_ptr<c10d::Work> work;
  std::string message;
  try {
    work = start(*comm);
    work->wait(g.timeout);
    return;
  } catch (const c10::Error& e) {
    message = e.what_without_backtrace();
  } catch (const std::exception& e) {
    message = e.what();
  }
  if (work && !work->isCompleted())
    message = "timed out after " + std::to_string(g.timeout.count()) + " ms (" + message + ")";
  throw std::runtime_error(where(g, what) + message);
}

c10d::ReduceOp reduce_op(int op) {
  switch (op) {
    case 0: return c10d::ReduceOp::SUM;
    case 1: return c10d::ReduceOp::PRODUCT;
    case 2: return c10d::ReduceOp::MIN;
    case 3: return c10d::ReduceOp::MAX;
    default: throw std::invalid_argument("unknown reduce op " + std::to_string(op));
  }
}

// In-place all-reduce of tensors. c10d works on the tensors' memory without autograd, so it gets
// detached aliases; non-contiguous ones go through a contiguous copy written back after. Gloo
// reduces several tensors of one dtype in one coalesced call; otherwise one call per tensor.
void allreduce(rl_group_s& g, const std::vector<at::Tensor>& ts, int op, const char* what) {
  std::vector<at::Tensor> buffers;
  bool same = true;
  for (const auto& t : ts) {
    buffers.push_back(t.detach().contiguous());
    same = same && t.scalar_type() == ts[0].scalar_type() && t.device() == ts[0].device();
  }
  c10d::AllreduceOptions o;
  o.reduceOp = reduce_op(op);
  o.timeout = g.timeout;
  if (buffers.size() > 1 && same && g.gloo) {
    c10d::AllreduceCoalescedOptions co;
    co.reduceOp = o.reduceOp;
    co.timeout = g.timeout;
    collective(g, what, [&](Comm& c) { return c.allreduce_coalesced(buffers, co); });
  } else {
    for (auto& b : buffers) {
      std::vector<at::Tensor> one{b};
      collective(g, what, [&](Comm& c) { return c.allreduce(one, o); });
    }
  }
  for (size_t i = 0; i < ts.size(); i++)
    if (buffers[i].data_ptr() != ts[i].data_ptr()) ts[i].detach().copy_(buffers[i]);
}

std::vector<at::Tensor> allgather(rl_group_s& g, const at::Tensor& t, const char* what) {
  std::vector<at::Tensor> in{t.detach().contiguous()};
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < g.size; r++) out[0].push_back(at::empty_like(in[0], at::MemoryFormat::Contiguous));
  c10d::AllgatherOptions o;
  o.timeout = g.timeout;
  collective(g, what, [&](Comm& c) { return c.allgather(out, in, o); });
  return out[0];
}

// The sum of x over ranks, as a new tensor.
at::Tensor summed(rl_group_s& g, const at::Tensor& x, const char* what) {
  auto y = x.detach().clone(at::MemoryFormat::Contiguous);
  allreduce(g, {y}, 0, what);
  return y;
}

c10::IValue capsule(rl_group_s* g) {
  return c10::IValue::make_capsule(c10::intrusive_ptr<rl_group_s>::unsafe_reclaim_from_nonowning(g));
}
rl_group_s& group_of(AutogradContext* ctx) {
  return *static_cast<rl_group_s*>(ctx->saved_data["group"].toCapsule().get());
}

// cat(every rank's x, 0). Backward: each rank's loss reaches every rank's rows, so the gradient
// of x is the incoming gradient summed over ranks, this rank's rows of it.
struct AllGatherFn : torch::autograd::Function<AllGatherFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, rl_group_s* g) {
    ctx->saved_data["group"] = capsule(g);
    ctx->saved_data["rows"] = x.dim() > 0 ? x.size(0) : int64_t{1};
    return at::cat(allgather(*g, x, "all_gather"), 0);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto& g = group_of(ctx);
    const int64_t rows = ctx->saved_data["rows"].toInt();
    auto total = summed(g, grads[0], "all_gather (backward all_reduce)");
    return {total.narrow(0, g.rank * rows, rows), at::Tensor()};
  }
};

// The sum of x over ranks; its gradient is likewise the incoming gradient summed over ranks.
struct AllReduceFn : torch::autograd::Function<AllReduceFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, rl_group_s* g) {
    ctx->saved_data["group"] = capsule(g);
    return summed(*g, x, "all_reduce");
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {summed(group_of(ctx), grads[0], "all_reduce (backward)"), at::Tensor()};
  }
};

c10::intrusive_ptr<Comm> make_gloo(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size, Ms timeout) {
  auto o = c10d::ProcessGroupGloo::Options::create(timeout);
  // Gloo needs a transport device: an address (REPLAB_GLOO_HOST), interfaces (GLOO_SOCKET_IFNAME,
  // comma-separated, as PyTorch reads it), else the address this machine's hostname resolves to.
  const char* host = std::getenv("REPLAB_GLOO_HOST");
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (host && *host) {
    o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host));
  } else if (ifname && *ifname) {
    std::stringstream names(ifname);
    for (std::string n; std::getline(names, n, ',');)
      if (!n.empty()) o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(n));
  } else {
    o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, o);
}

c10::intrusive_ptr<Comm> make_nccl(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size, Ms timeout) {
#ifdef USE_C10D_NCCL
  auto o = c10d::ProcessGroupNCCL::Options::create();
  o->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, o);
#else
  throw std::runtime_error(std::string("ProcessGroup.Nccl: this libtorch (") + TORCH_VERSION +
                           ") was built without NCCL (no CUDA); use Gloo");
#endif
}

}  // namespace

extern "C" {

int rl_store_tcp(const char* host, int port, int world_size, int is_server, int64_t timeout_ms, rl_store* out) {
  RL_TRY
  TORCH_CHECK(port >= 0 && port <= 65535, "Store.Tcp: port ", port, " is out of range");
  c10d::TCPStoreOptions o;
  o.port = static_cast<std::uint16_t>(port);
  o.isServer = is_server != 0;
  o.numWorkers = static_cast<std::size_t>(world_size);
  o.waitWorkers = false;
  o.timeout = Ms(timeout_ms);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  o.useLibUV = false;  // 2.4+ defaults to a libuv server, which a distribution's build may lack
#endif
  auto store = c10::make_intrusive<c10d::TCPStore>(host, o);
  auto* s = new rl_store_s;
  s->port = store->getPort();
  s->store = store;
  *out = s;
  RL_END
}

int rl_store_file(const char* path, int world_size, int64_t timeout_ms, rl_store* out) {
  RL_TRY
  auto store = c10::make_intrusive<c10d::FileStore>(path, world_size);
  store->setTimeout(Ms(timeout_ms));
  auto* s = new rl_store_s;
  s->store = store;
  *out = s;
  RL_END
}

void rl_store_free(rl_store s) { delete s; }

int rl_store_port(rl_store s, int* out) { RL_TRY *out = s->port; RL_END }

int rl_store_set(rl_store s, const char* key, const uint8_t* data, int64_t n) {
  RL_TRY s->store->set(key, std::vector<uint8_t>(data, data + n)); RL_END
}

int rl_store_get(rl_store s, const char* key, const uint8_t** data, int64_t* n) {
  thread_local std::vector<uint8_t> value;
  RL_TRY
  value = s->store->get(key);
  *data = value.data();
  *n = static_cast<int64_t>(value.size());
  RL_END
}

int rl_store_add(rl_store s, const char* key, int64_t delta, int64_t* out) {
  RL_TRY *out = s->store->add(key, delta); RL_END
}

int rl_store_check(rl_store s, const char* key, int* out) {
  RL_TRY *out = s->store->check({key}) ? 1 : 0; RL_END
}

int rl_group_new(int backend, rl_store s, int rank, int world_size, int64_t timeout_ms, rl_group* out) {
  RL_TRY
  TORCH_CHECK(world_size > 0 && rank >= 0 && rank < world_size, "ProcessGroup: rank ", rank,
              " is not in a world of size ", world_size);
  auto prefixed =
      c10::make_intrusive<c10d::PrefixStore>("replab/group" + std::to_string(s->groups++), s->store);
  auto g = c10::make_intrusive<rl_group_s>();
  g->rank = rank;
  g->size = world_size;
  g->timeout = Ms(timeout_ms);
  g->gloo = backend == 0;
  g->comm = backend == 0 ? make_gloo(prefixed, rank, world_size, g->timeout)
                         : make_nccl(prefixed, rank, world_size, g->timeout);
  *out = g.release();
  RL_END
}

// Closes the communicator now (its destructor waits for queued work, which ends within the
// timeout), then drops the caller's reference. Never throws.
void rl_group_free(rl_group g) {
  if (!g) return;
  c10::intrusive_ptr<Comm> comm;
  {
    std::lock_guard<std::mutex> lock(g->mu);
    comm.swap(g->comm);
  }
  try {
    comm.reset();
  } catch (...) {
  }
  c10::intrusive_ptr<rl_group_s>::reclaim(g);
}

int rl_group_allreduce(rl_group g, const rl_tensor* ts, int n, int op) {
  RL_TRY if (n > 0) allreduce(*g, rl::list(ts, n), op, "all_reduce"); RL_END
}

int rl_group_broadcast(rl_group g, rl_tensor t, int root) {
  RL_TRY
  TORCH_CHECK(root >= 0 && root < g->size, "broadcast: root ", root, " is not a rank of a world of size ", g->size);
  std::vector<at::Tensor> buffers{T(t).detach().contiguous()};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  o.timeout = g->timeout;
  collective(*g, "broadcast", [&](Comm& c) { return c.broadcast(buffers, o); });
  if (buffers[0].data_ptr() != T(t).data_ptr()) T(t).detach().copy_(buffers[0]);
  RL_END
}

int rl_group_allgather(rl_group g, rl_tensor t, rl_tensor* outs) {
  RL_TRY
  auto parts = allgather(*g, T(t), "all_gather");
  for (size_t i = 0; i < parts.size(); i++) outs[i] = rl::wrap(parts[i]);
  RL_END
}

int rl_group_barrier(rl_group g) {
  RL_TRY
  c10d::BarrierOptions o;
  o.timeout = g->timeout;
  collective(*g, "barrier", [&](Comm& c) { return c.barrier(o); });
  RL_END
}

int rl_all_gather(rl_tensor x, rl_group g, rl_tensor* out) { RL_OUT(AllGatherFn::apply(T(x), g)) }

int rl_all_reduce(rl_tensor x, rl_group g, rl_tensor* out) { RL_OUT(AllReduceFn::apply(T(x), g)) }

}  // extern "C"
