// The C shim of hinm.h: validates arguments in the order they are declared
// (each failure its own status and a message naming the argument and its
// value), translates them to the core's types, calls the core, and catches
// everything so no C++ exception crosses the C boundary. No algorithm here.
//
// Last-error policy: every call except the four query functions
// (hinmGetErrorName/String, hinmGetLastErrorMessage, hinmGetVersion) sets the
// calling thread's message: "" on success, "<function>: <detail>" on failure.
// So the message always describes the most recent call of the thread.
#include "hinm/hinm.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "c_api/handles.h"
#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/dense.h"
#include "cpp/hinm/device_identity.h"
#include "cpp/hinm/device_plan_search.h"
#include "cpp/hinm/dispatch.h"
#include "cpp/hinm/error.h"
#include "cpp/hinm/fold_permutation.h"
#include "cpp/hinm/layout.h"
#include "cpp/hinm/prune.h"
#include "cpp/hinm/reference.h"
#include "cpp/hinm/serialize.h"

// ------------------------------------------------ C and C++ enums must agree

#define HINM_SAME_VALUE(c, cpp) \
  static_assert(static_cast<int>(c) == static_cast<int>(cpp), #c " must equal " #cpp)
HINM_SAME_VALUE(HINM_STATUS_SUCCESS, hinm::Status::kSuccess);
HINM_SAME_VALUE(HINM_STATUS_NOT_INITIALIZED, hinm::Status::kNotInitialized);
HINM_SAME_VALUE(HINM_STATUS_INVALID_VALUE, hinm::Status::kInvalidValue);
HINM_SAME_VALUE(HINM_STATUS_NULL_POINTER, hinm::Status::kNullPointer);
HINM_SAME_VALUE(HINM_STATUS_SIZE_OVERFLOW, hinm::Status::kSizeOverflow);
HINM_SAME_VALUE(HINM_STATUS_NOT_SUPPORTED, hinm::Status::kNotSupported);
HINM_SAME_VALUE(HINM_STATUS_ALLOC_FAILED, hinm::Status::kAllocFailed);
HINM_SAME_VALUE(HINM_STATUS_NO_DEVICE, hinm::Status::kNoDevice);
HINM_SAME_VALUE(HINM_STATUS_CUDA_ERROR, hinm::Status::kCudaError);
HINM_SAME_VALUE(HINM_STATUS_CUBLAS_ERROR, hinm::Status::kCublasError);
HINM_SAME_VALUE(HINM_STATUS_IO_ERROR, hinm::Status::kIoError);
HINM_SAME_VALUE(HINM_STATUS_CORRUPT_FILE, hinm::Status::kCorruptFile);
HINM_SAME_VALUE(HINM_STATUS_VERSION_MISMATCH, hinm::Status::kVersionMismatch);
HINM_SAME_VALUE(HINM_STATUS_CANCELLED, hinm::Status::kCancelled);
HINM_SAME_VALUE(HINM_STATUS_INTERNAL_ERROR, hinm::Status::kInternalError);
HINM_SAME_VALUE(HINM_STATUS_INVALID_DTYPE, hinm::Status::kInvalidDType);
HINM_SAME_VALUE(HINM_STATUS_MISALIGNED, hinm::Status::kMisaligned);
HINM_SAME_VALUE(HINM_R_16F, hinm::DType::kFloat16);
HINM_SAME_VALUE(HINM_R_16BF, hinm::DType::kBFloat16);
HINM_SAME_VALUE(HINM_R_32F, hinm::DType::kFloat32);
HINM_SAME_VALUE(HINM_ORDER_FEATURE_MAJOR, hinm::Order::kFeatureMajor);
HINM_SAME_VALUE(HINM_ORDER_TOKEN_MAJOR, hinm::Order::kTokenMajor);
HINM_SAME_VALUE(HINM_ROWS_ORIGINAL, hinm::RowOrder::kOriginal);
HINM_SAME_VALUE(HINM_ROWS_PERMUTED, hinm::RowOrder::kPermuted);
HINM_SAME_VALUE(HINM_PERMUTE_ALGO_DEFAULT, hinm::PermuteAlgo::kDefault);
HINM_SAME_VALUE(HINM_PERMUTE_ALGO_PUBLISHED, hinm::PermuteAlgo::kPublished);
HINM_SAME_VALUE(HINM_KERNEL_AUTO, hinm::GpuKernel::kAuto);
HINM_SAME_VALUE(HINM_KERNEL_MMA_SP, hinm::GpuKernel::kMmaSp);
HINM_SAME_VALUE(HINM_KERNEL_WGMMA_SP, hinm::GpuKernel::kWgmmaSp);
#undef HINM_SAME_VALUE
static_assert(HINM_STATUS_MISALIGNED == 16, "update kStatusTable when appending statuses");

namespace {

using hinm::Error;
using hinm::Status;

// ------------------------------------------------------------ error state

thread_local std::string t_last_error;

template <typename... Args>
std::string Cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

[[noreturn]] void Fail(Status status, const std::string& message) { throw Error(status, message); }

void Check(bool ok, Status status, const std::string& message) {
  if (!ok) Fail(status, message);
}

hinmStatus_t ToC(Status s) {
  const int v = static_cast<int>(s);
  if (v <= static_cast<int>(Status::kSuccess) || v > HINM_STATUS_MISALIGNED) {
    return HINM_STATUS_INTERNAL_ERROR;  // a core bug: never report "success" on a throw
  }
  return static_cast<hinmStatus_t>(v);
}

// Runs body; turns every exception into a status and the thread's message.
template <typename Body>
hinmStatus_t Guard(const char* function, Body&& body) noexcept {
  try {
    t_last_error.clear();
    body();
    return HINM_STATUS_SUCCESS;
  } catch (const Error& e) {
    const hinmStatus_t s = ToC(e.status());
    try {
      t_last_error = Cat(function, ": ", e.what());
      if (s == HINM_STATUS_INTERNAL_ERROR && e.status() != Status::kInternalError) {
        t_last_error += Cat(" (core threw status ", static_cast<int>(e.status()), ")");
      }
    } catch (...) {
    }
    return s;
  } catch (const std::bad_alloc&) {
    try {
      t_last_error = Cat(function, ": host memory allocation failed");
    } catch (...) {
    }
    return HINM_STATUS_ALLOC_FAILED;
  } catch (const std::exception& e) {
    try {
      t_last_error = Cat(function, ": internal error (please report): ", e.what());
    } catch (...) {
    }
    return HINM_STATUS_INTERNAL_ERROR;
  } catch (...) {
    try {
      t_last_error = Cat(function, ": internal error (please report): unknown exception");
    } catch (...) {
    }
    return HINM_STATUS_INTERNAL_ERROR;
  }
}

// ------------------------------------------------------- argument checks

// The int a C caller passed for an enum parameter. C code may pass any int
// (7 for a hinmDataType_t); loading such a value as the C++ enum type is
// undefined behaviour, so enums are only ever read through their bytes.
template <typename E>
int RawEnum(const E& e) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
  int v;
  std::memcpy(&v, &e, sizeof(v));
  return v;
}

std::string PtrStr(const void* p) {
  std::ostringstream os;
  os << p;
  return os.str();
}

hinmContext* LiveContext(hinmHandle_t h, const char* name) {
  Check(h != nullptr, Status::kNotInitialized, Cat(name, " is NULL (call hinmCreate first)"));
  Check(hinm_capi::ContextRegistry().IsLive(h) && h->magic == hinmContext::kMagic,
        Status::kNotInitialized,
        Cat(name, " (", PtrStr(h), ") is not a live handle (destroyed, or not from hinmCreate)"));
  return h;
}

hinmMatrix* LiveMatrix(hinmDescriptor_t d, const char* name) {
  Check(d != nullptr, Status::kNotInitialized,
        Cat(name, " is NULL (create it with hinmCreateDescriptor, hinmLoadDescriptor or "
                  "hinmDeserialize)"));
  Check(hinm_capi::MatrixRegistry().IsLive(d) && d->magic == hinmMatrix::kMagic,
        Status::kNotInitialized,
        Cat(name, " (", PtrStr(d), ") is not a live descriptor (destroyed, or not from hinm)"));
  return d;
}

void NotNull(const void* p, const char* name) {
  Check(p != nullptr, Status::kNullPointer, Cat(name, " is NULL"));
}

const char* DTypeCName(int t) {
  switch (t) {
    case HINM_R_16F:
      return "HINM_R_16F";
    case HINM_R_16BF:
      return "HINM_R_16BF";
    case HINM_R_32F:
      return "HINM_R_32F";
  }
  return "unknown";
}

// Any of the three data types.
hinm::DType AnyDType(const hinmDataType_t& t, const char* name) {
  const int v = RawEnum(t);
  Check(v == HINM_R_16F || v == HINM_R_16BF || v == HINM_R_32F, Status::kInvalidDType,
        Cat(name, " = ", v, " is not a hinmDataType_t (HINM_R_16F, HINM_R_16BF or HINM_R_32F)"));
  return static_cast<hinm::DType>(v);
}

// Only the 16-bit types (compressed values, GPU operands).
hinm::DType Half16DType(const hinmDataType_t& t, const char* name) {
  const int v = RawEnum(t);
  Check(v == HINM_R_16F || v == HINM_R_16BF, Status::kInvalidDType,
        Cat(name, " = ", v, " (", DTypeCName(v), ") is not accepted here: use HINM_R_16F or "
                                                 "HINM_R_16BF"));
  return static_cast<hinm::DType>(v);
}

hinm::Order OrderOf(const hinmOrder_t& o, const char* name) {
  const int v = RawEnum(o);
  Check(v == HINM_ORDER_FEATURE_MAJOR || v == HINM_ORDER_TOKEN_MAJOR, Status::kInvalidValue,
        Cat(name, " = ", v,
            " is not a hinmOrder_t (HINM_ORDER_FEATURE_MAJOR or HINM_ORDER_TOKEN_MAJOR)"));
  return static_cast<hinm::Order>(v);
}

hinm::RowOrder RowOrderOf(const hinmRowOrder_t& r, const char* name) {
  const int v = RawEnum(r);
  Check(v == HINM_ROWS_ORIGINAL || v == HINM_ROWS_PERMUTED, Status::kInvalidValue,
        Cat(name, " = ", v, " is not a hinmRowOrder_t (HINM_ROWS_ORIGINAL or HINM_ROWS_PERMUTED)"));
  return static_cast<hinm::RowOrder>(v);
}

// Elements spanned by a rows x cols matrix with leading dimension ld:
// (rows - 1) * ld + cols, and that times elem_bytes, both within int64.
int64_t SpanElements(int64_t rows, int64_t cols, int64_t ld, int64_t elem_bytes,
                     const char* what) {
  if (rows == 0 || cols == 0) return 0;
  int64_t span = 0, bytes = 0;
  if (__builtin_mul_overflow(rows - 1, ld, &span) || __builtin_add_overflow(span, cols, &span) ||
      __builtin_mul_overflow(span, elem_bytes, &bytes)) {
    Fail(Status::kSizeOverflow, Cat(what, ": ", rows, " x ", cols, " with leading dimension ", ld,
                                    " overflows a 64-bit size"));
  }
  return span;
}

// Shape of an operand stored in `order`: (outer, inner) row-major extents.
struct Extents {
  int64_t rows, cols;
};
Extents OperandExtents(hinm::Order order, int64_t features, int64_t tokens) {
  return order == hinm::Order::kFeatureMajor ? Extents{features, tokens}
                                             : Extents{tokens, features};
}

// Extents of a B or C operand (`features` x `tokens` in `order`) after
// checking its leading dimension. `feature_dim` is "K" for B, "M" for C.
Extents CheckedOperand(hinm::Order order, int64_t features, int64_t tokens, int64_t ld,
                       const char* ld_name, const char* operand, const char* feature_dim) {
  const Extents e = OperandExtents(order, features, tokens);
  Check(ld >= e.cols, Status::kInvalidValue,
        Cat(ld_name, " = ", ld, " is too small: ", operand, " is ", e.rows, " x ", e.cols, " (",
            order == hinm::Order::kFeatureMajor
                ? Cat("feature-major ", feature_dim, " x N, ", ld_name, " >= N")
                : Cat("token-major N x ", feature_dim, ", ", ld_name, " >= ", feature_dim),
            ")"));
  return e;
}

// The checks hinmSpMM and hinmSpMMHost share, in argument order. Returns
// the core's argument struct (n > 0 here).
hinm::SpmmArgs CheckSpmmOperands(const hinm::CompressedMatrix& m, int64_t n, const float* alpha,
                                 const void* b, const hinmOrder_t& b_order, int64_t ldb,
                                 const float* beta, void* c, const hinmOrder_t& c_order,
                                 int64_t ldc, const void* bias, const hinmDataType_t& io_type,
                                 const hinmRowOrder_t& rows,
                                 bool host) {
  const int64_t M = m.layout.rows, K = m.layout.cols;
  NotNull(alpha, "alpha");
  NotNull(b, "b");
  const hinm::Order bo = OrderOf(b_order, "b_order");
  const Extents be = CheckedOperand(bo, K, n, ldb, "ldb", "B", "K");
  NotNull(beta, "beta");
  NotNull(c, "c");
  const hinm::Order co = OrderOf(c_order, "c_order");
  const Extents ce = CheckedOperand(co, M, n, ldc, "ldc", "C", "M");
  (void)bias;  // optional
  const hinm::DType io = host ? AnyDType(io_type, "io_type") : Half16DType(io_type, "io_type");
  if (!host) {
    Check(io == m.layout.dtype, Status::kInvalidDType,
          Cat("io_type = ", DTypeCName(RawEnum(io_type)),
              " must equal the descriptor's value type (", hinm::DTypeName(m.layout.dtype), ")"));
  }
  const hinm::RowOrder ro = RowOrderOf(rows, "rows");
  const int64_t esize = hinm::DTypeSize(io);
  SpanElements(be.rows, be.cols, ldb, esize, "B");
  SpanElements(ce.rows, ce.cols, ldc, esize, "C");

  hinm::SpmmArgs args;
  args.n = n;
  args.alpha = *alpha;
  args.beta = *beta;
  args.b = b;
  args.b_order = bo;
  args.ldb = ldb;
  args.c = c;
  args.c_order = co;
  args.ldc = ldc;
  args.bias = bias;
  args.io_dtype = io;
  args.rows = ro;
  Check(std::isfinite(args.alpha), Status::kInvalidValue, Cat("*alpha = ", args.alpha,
                                                               " is not finite"));
  Check(std::isfinite(args.beta), Status::kInvalidValue, Cat("*beta = ", args.beta,
                                                              " is not finite"));
  hinm::ValidateSpmmArgs(m, args);  // the core's own checks, shared with the device path
  return args;
}

// The prune options of a config, each field checked in declaration order.
hinm::PruneOptions OptionsOf(const hinmPruneConfig_t* config) {
  hinmPruneConfig_t cfg;
  hinmPruneConfigInit(&cfg);
  if (config != nullptr) {
    // Every field up to progress_user_data is read.
    constexpr size_t kNeeded =
        offsetof(hinmPruneConfig_t, progress_user_data) + sizeof(config->progress_user_data);
    Check(config->struct_size >= kNeeded, Status::kInvalidValue,
          Cat("config->struct_size = ", config->struct_size, " is smaller than the ", kNeeded,
              " bytes this library reads (initialise the config with hinmPruneConfigInit)"));
    std::memcpy(&cfg, config, kNeeded);
  }
  Check(cfg.tile_rows >= hinm::kMinTileRows && cfg.tile_rows <= hinm::kMaxTileRows &&
            cfg.tile_rows % hinm::kBlockRows == 0,
        Status::kInvalidValue,
        Cat("config->tile_rows = ", cfg.tile_rows, " must be a multiple of 16 in [16, 256]"));
  Check(std::isfinite(cfg.vector_sparsity) && cfg.vector_sparsity >= 0.0 &&
            cfg.vector_sparsity < 1.0,
        Status::kInvalidValue,
        Cat("config->vector_sparsity = ", cfg.vector_sparsity, " must be in [0, 1)"));
  Check(cfg.kept_cols >= 0 && cfg.kept_cols % hinm::kGroupSize == 0, Status::kInvalidValue,
        Cat("config->kept_cols = ", cfg.kept_cols,
            " must be 0 (derive from vector_sparsity) or a positive multiple of 4"));
  hinm::PruneOptions opt;
  opt.tile_rows = cfg.tile_rows;
  opt.vector_sparsity = cfg.vector_sparsity;
  opt.kept_cols = cfg.kept_cols;
  opt.value_dtype = Half16DType(cfg.value_type, "config->value_type");
  const int perm = RawEnum(cfg.permute);
  Check(perm >= HINM_PERMUTE_NONE && perm <= HINM_PERMUTE_BOTH, Status::kInvalidValue,
        Cat("config->permute = ", perm, " is not a hinmPermute_t (0..3)"));
  opt.permute.output_axis = perm == HINM_PERMUTE_OUTPUT || perm == HINM_PERMUTE_BOTH;
  opt.permute.input_axis = perm == HINM_PERMUTE_INPUT || perm == HINM_PERMUTE_BOTH;
  const int algo = RawEnum(cfg.permute_algo);
  Check(algo == HINM_PERMUTE_ALGO_DEFAULT || algo == HINM_PERMUTE_ALGO_PUBLISHED,
        Status::kInvalidValue,
        Cat("config->permute_algo = ", algo,
            " is not a hinmPermuteAlgo_t (HINM_PERMUTE_ALGO_DEFAULT or _PUBLISHED)"));
  opt.permute.algo = static_cast<hinm::PermuteAlgo>(algo);
  opt.permute.seed = cfg.seed;
  Check(cfg.permute_max_failures >= 0, Status::kInvalidValue,
        Cat("config->permute_max_failures = ", cfg.permute_max_failures,
            " must be >= 0 (0 = library default)"));
  opt.permute.max_failures = cfg.permute_max_failures;
  if (cfg.permute_schedule == nullptr) {
    Check(cfg.permute_schedule_len == 0, Status::kNullPointer,
          Cat("config->permute_schedule is NULL but config->permute_schedule_len = ",
              cfg.permute_schedule_len, " (use 0 for the default schedule)"));
  } else {
    Check(cfg.permute_schedule_len > 0, Status::kInvalidValue,
          Cat("config->permute_schedule_len = ", cfg.permute_schedule_len,
              " must be > 0 when config->permute_schedule is set"));
    for (int32_t i = 0; i < cfg.permute_schedule_len; ++i) {
      Check(cfg.permute_schedule[i] >= 1, Status::kInvalidValue,
            Cat("config->permute_schedule[", i, "] = ", cfg.permute_schedule[i],
                " must be >= 1 (rows sampled per tile)"));
    }
    opt.permute.schedule.assign(cfg.permute_schedule,
                                cfg.permute_schedule + cfg.permute_schedule_len);
  }
  Check(cfg.num_threads >= 0, Status::kInvalidValue,
        Cat("config->num_threads = ", cfg.num_threads, " must be >= 0 (0 = all cores)"));
  opt.permute.num_threads = cfg.num_threads;
  if (cfg.progress != nullptr) {
    const hinmProgressCallback_t fn = cfg.progress;
    void* const user = cfg.progress_user_data;
    opt.permute.progress = [fn, user](double fraction) { return fn(fraction, user) == 0; };
  }
  return opt;
}

// Rejects NaN/Inf weights and NaN/Inf/negative saliency, naming the entry.
void CheckFiniteWeights(const hinm::DenseView& w) {
  for (int64_t r = 0; r < w.rows; ++r) {
    for (int64_t c = 0; c < w.cols; ++c) {
      const float v = w.at(r, c);
      if (!std::isfinite(v)) {
        Fail(Status::kInvalidValue,
             Cat("weights[", r, "][", c, "] = ", v, " is not finite (NaN or Inf)"));
      }
    }
  }
}

void CheckSaliency(const float* s, int64_t rows, int64_t cols, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const float v = s[r * ld + c];
      if (!std::isfinite(v) || v < 0.0f) {
        Fail(Status::kInvalidValue,
             Cat("saliency[", r, "][", c, "] = ", v, " must be finite and >= 0"));
      }
    }
  }
}

// A descriptor of m, with the plans a search found for it (as read from a
// file; none for a new matrix).
hinmMatrix* NewDescriptor(hinm::CompressedMatrix&& m,
                          const std::vector<hinm::TunedPlans::Entry>& tuned = {}) {
  auto d = std::make_unique<hinmMatrix>();
  d->matrix = std::move(m);
  for (const hinm::TunedPlans::Entry& e : tuned) d->tuned.Store(e.problem, e.choice);
  hinm_capi::MatrixRegistry().Register(d.get());
  return d.release();
}

void CheckPath(const char* path) {
  NotNull(path, "path");
  Check(path[0] != '\0', Status::kInvalidValue, "path is the empty string");
}

void RequireDevice() {
  Check(hinm::HasDevice(), Status::kNoDevice,
        "no CUDA device is available (no GPU, or no driver); use hinmSpMMHost for the CPU path");
}

// The descriptor's arrays on the current device, uploaded on first use.
const hinm::DeviceMatrix& DeviceCopy(hinmMatrix* d, cudaStream_t stream) {
  int device = 0;
  const cudaError_t err = cudaGetDevice(&device);
  Check(err == cudaSuccess, Status::kCudaError,
        Cat("cudaGetDevice failed: ", cudaGetErrorString(err)));
  std::lock_guard<std::mutex> lock(d->device_mu);
  auto it = d->device.find(device);
  if (it == d->device.end()) {
    it = d->device.emplace(device, hinm::DeviceMatrix::Upload(d->matrix, stream)).first;
  }
  return *it->second;
}

// The problem key of a call on the current device, which is named by its
// model (no current device: no key, and so no tuned plan).
std::optional<hinm::SpmmProblemKey> ProblemKey(int64_t n, hinm::Order b_order,
                                               hinm::Order c_order) {
  std::optional<hinm::DeviceIdentity> device = hinm::CurrentDeviceIdentity();
  if (!device) return std::nullopt;
  return hinm::SpmmProblemKey{std::move(*device), n, b_order, c_order};
}

// The plan hinmSpMM runs for this problem: the one hinmSpMMSearch stored,
// if any and if the caller's workspace (non-NULL) holds it; else the
// planner's (an empty choice). Its workspace bytes in *needed; in *untuned
// (if given) whether the descriptor holds no plan for the problem at all
// (false where the device cannot be named).
hinm::SpmmPlanChoice PlanFor(hinmMatrix* d, int64_t n, hinm::Order bo, hinm::Order co,
                             const void* workspace, size_t workspace_size, size_t* needed,
                             bool* untuned = nullptr) {
  const std::optional<hinm::SpmmProblemKey> key = ProblemKey(n, bo, co);
  const std::optional<hinm::SpmmPlanChoice> tuned = key ? d->tuned.Find(*key) : std::nullopt;
  if (untuned != nullptr) *untuned = key && !tuned;
  if (tuned) {
    *needed = hinm::SpmmWorkspaceSize(d->matrix, n, bo, co, hinm::GpuKernel::kAuto, *tuned);
    if (workspace == nullptr || workspace_size >= *needed) return *tuned;
  }
  *needed = hinm::SpmmWorkspaceSize(d->matrix, n, bo, co);
  return {};
}

// Whether work enqueued on `stream` now would be captured into a graph (an
// error asking counts as yes: then nothing is timed).
bool Capturing(cudaStream_t stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &status) != cudaSuccess) {
    cudaGetLastError();
    return true;
  }
  return status != cudaStreamCaptureStatusNone;
}

// hinmSpMM (search false: the stored plan if any, else the planner's, or --
// with the handle's autotune on, for a problem the descriptor holds no plan
// for, outside a capture -- the search) and hinmSpMMSearch (search true:
// time the plans, store the winner), which share every check.
void DeviceSpmm(bool search, hinmHandle_t handle, hinmDescriptor_t a, int64_t n,
                const float* alpha, const void* b, hinmOrder_t b_order, int64_t ldb,
                const float* beta, void* c, hinmOrder_t c_order, int64_t ldc, const void* bias,
                hinmDataType_t io_type, hinmRowOrder_t rows, void* workspace,
                size_t workspace_size, cudaStream_t stream) {
  const hinmContext* ctx = LiveContext(handle, "handle");
  hinmMatrix* d = LiveMatrix(a, "a");
  Check(n >= 0, Status::kInvalidValue, Cat("n = ", n, " must be >= 0"));
  if (n == 0) return;  // empty problem
  const hinm::SpmmArgs args = CheckSpmmOperands(d->matrix, n, alpha, b, b_order, ldb, beta, c,
                                                c_order, ldc, bias, io_type, rows, false);
  Check(workspace != nullptr || workspace_size == 0, Status::kNullPointer,
        Cat("workspace is NULL but workspace_size = ", workspace_size));
  RequireDevice();
  // The search is checked against the planner's need (it times only plans
  // that fit); hinmSpMM against the plan it will run.
  size_t needed = 0;
  hinm::SpmmPlanChoice plan;
  if (search) {
    needed = hinm::SpmmWorkspaceSize(d->matrix, n, args.b_order, args.c_order);
  } else {
    bool untuned = false;
    plan = PlanFor(d, n, args.b_order, args.c_order, workspace, workspace_size, &needed,
                   &untuned);
    // Untuned, the plan and its need are the planner's: what the search
    // is checked against too.
    search = ctx->autotune && untuned && !Capturing(stream);
  }
  // NULL/0 asks the library to allocate it (stream-ordered, in SpmmDevice).
  Check(workspace == nullptr || workspace_size >= needed, Status::kInvalidValue,
        Cat("workspace_size = ", workspace_size, " is smaller than the ", needed,
            " bytes needed (query hinmSpMMWorkspaceSize, or pass NULL and 0)"));
  const hinm::DeviceMatrix& dm = DeviceCopy(d, stream);
  if (search) {
    // The key first: if the device cannot be named, nothing has run yet.
    const hinm::SpmmProblemKey key{hinm::DeviceIdentityOf(dm.device()), n, args.b_order,
                                   args.c_order};
    const hinm::SpmmSearchResult r =
        hinm::SpmmSearch(d->matrix, dm, args, workspace, workspace_size, stream);
    d->tuned.Store(key, r.best);
  } else {
    hinm::SpmmDevice(d->matrix, dm, args, workspace, workspace_size, stream,
                     hinm::GpuKernel::kAuto, plan);
  }
}

}  // namespace

// =================================================================== API

extern "C" {

const char* hinmGetErrorName(hinmStatus_t status) {
  switch (RawEnum(status)) {
    case HINM_STATUS_SUCCESS: return "HINM_STATUS_SUCCESS";
    case HINM_STATUS_NOT_INITIALIZED: return "HINM_STATUS_NOT_INITIALIZED";
    case HINM_STATUS_INVALID_VALUE: return "HINM_STATUS_INVALID_VALUE";
    case HINM_STATUS_NULL_POINTER: return "HINM_STATUS_NULL_POINTER";
    case HINM_STATUS_SIZE_OVERFLOW: return "HINM_STATUS_SIZE_OVERFLOW";
    case HINM_STATUS_NOT_SUPPORTED: return "HINM_STATUS_NOT_SUPPORTED";
    case HINM_STATUS_ALLOC_FAILED: return "HINM_STATUS_ALLOC_FAILED";
    case HINM_STATUS_NO_DEVICE: return "HINM_STATUS_NO_DEVICE";
    case HINM_STATUS_CUDA_ERROR: return "HINM_STATUS_CUDA_ERROR";
    case HINM_STATUS_CUBLAS_ERROR: return "HINM_STATUS_CUBLAS_ERROR";
    case HINM_STATUS_IO_ERROR: return "HINM_STATUS_IO_ERROR";
    case HINM_STATUS_CORRUPT_FILE: return "HINM_STATUS_CORRUPT_FILE";
    case HINM_STATUS_VERSION_MISMATCH: return "HINM_STATUS_VERSION_MISMATCH";
    case HINM_STATUS_CANCELLED: return "HINM_STATUS_CANCELLED";
    case HINM_STATUS_INTERNAL_ERROR: return "HINM_STATUS_INTERNAL_ERROR";
    case HINM_STATUS_INVALID_DTYPE: return "HINM_STATUS_INVALID_DTYPE";
    case HINM_STATUS_MISALIGNED: return "HINM_STATUS_MISALIGNED";
  }
  return "HINM_STATUS_UNKNOWN";
}

const char* hinmGetErrorString(hinmStatus_t status) {
  switch (RawEnum(status)) {
    case HINM_STATUS_SUCCESS: return "The operation completed successfully.";
    case HINM_STATUS_NOT_INITIALIZED: return "A handle or descriptor is NULL or was destroyed.";
    case HINM_STATUS_INVALID_VALUE: return "An argument is out of range.";
    case HINM_STATUS_NULL_POINTER: return "A required pointer argument is NULL.";
    case HINM_STATUS_SIZE_OVERFLOW: return "Sizes whose product overflows a 64-bit integer.";
    case HINM_STATUS_NOT_SUPPORTED: return "Valid arguments, but no implementation supports them.";
    case HINM_STATUS_ALLOC_FAILED: return "A host or device memory allocation failed.";
    case HINM_STATUS_NO_DEVICE: return "No usable CUDA device (or driver) is present.";
    case HINM_STATUS_CUDA_ERROR: return "A CUDA runtime call failed.";
    case HINM_STATUS_CUBLAS_ERROR: return "A cuBLAS call failed.";
    case HINM_STATUS_IO_ERROR: return "A file could not be opened, read or written.";
    case HINM_STATUS_CORRUPT_FILE: return "The data is truncated or corrupt (bad magic, size or checksum).";
    case HINM_STATUS_VERSION_MISMATCH: return "The data was written by an unknown format version.";
    case HINM_STATUS_CANCELLED: return "The progress callback cancelled the operation.";
    case HINM_STATUS_INTERNAL_ERROR: return "An internal error (a bug in hinm): please report it.";
    case HINM_STATUS_INVALID_DTYPE: return "A data type that is not accepted by this function.";
    case HINM_STATUS_MISALIGNED: return "A pointer or leading dimension breaks the required alignment.";
  }
  return "Unknown status value.";
}

const char* hinmGetLastErrorMessage(void) { return t_last_error.c_str(); }

int hinmGetVersion(void) { return HINM_VERSION; }

hinmStatus_t hinmPruneConfigInit(hinmPruneConfig_t* config) {
  return Guard(__func__, [&] {
    NotNull(config, "config");
    std::memset(config, 0, sizeof(*config));
    config->struct_size = sizeof(hinmPruneConfig_t);
    config->tile_rows = 128;
    config->vector_sparsity = 0.5;
    config->kept_cols = 0;
    config->value_type = HINM_R_16F;
    config->permute = HINM_PERMUTE_NONE;
    config->permute_algo = HINM_PERMUTE_ALGO_DEFAULT;
    config->seed = 0;
    config->permute_max_failures = 0;
    config->permute_schedule = nullptr;
    config->permute_schedule_len = 0;
    config->num_threads = 0;
    config->progress = nullptr;
    config->progress_user_data = nullptr;
  });
}

hinmStatus_t hinmCreate(hinmHandle_t* handle) {
  return Guard(__func__, [&] {
    NotNull(handle, "handle");
    auto ctx = std::make_unique<hinmContext>();
    hinm_capi::ContextRegistry().Register(ctx.get());
    *handle = ctx.release();
  });
}

hinmStatus_t hinmDestroy(hinmHandle_t handle) {
  return Guard(__func__, [&] {
    LiveContext(handle, "handle");
    Check(hinm_capi::ContextRegistry().Unregister(handle), Status::kNotInitialized,
          "handle was destroyed by another thread meanwhile");
    handle->magic = 0;
    delete handle;
  });
}

hinmStatus_t hinmSetAutotune(hinmHandle_t handle, int32_t on) {
  return Guard(__func__, [&] {
    hinmContext* ctx = LiveContext(handle, "handle");
    Check(on == 0 || on == 1, Status::kInvalidValue, Cat("on = ", on, " must be 0 or 1"));
    ctx->autotune = on == 1;
  });
}

hinmStatus_t hinmGetAutotune(hinmHandle_t handle, int32_t* on) {
  return Guard(__func__, [&] {
    const hinmContext* ctx = LiveContext(handle, "handle");
    NotNull(on, "on");
    *on = ctx->autotune ? 1 : 0;
  });
}

hinmStatus_t hinmHasDevice(hinmHandle_t handle, int32_t* has_device) {
  return Guard(__func__, [&] {
    LiveContext(handle, "handle");
    NotNull(has_device, "has_device");
    *has_device = hinm::HasDevice() ? 1 : 0;
  });
}

hinmStatus_t hinmCreateDescriptor(hinmHandle_t handle, hinmDescriptor_t* desc, int64_t rows,
                                  int64_t cols, const void* weights, hinmDataType_t weight_type,
                                  int64_t ldw, const float* saliency, int64_t lds,
                                  const hinmPruneConfig_t* config) {
  return Guard(__func__, [&] {
    LiveContext(handle, "handle");
    NotNull(desc, "desc");
    Check(rows > 0, Status::kInvalidValue, Cat("rows = ", rows, " must be > 0"));
    Check(cols > 0, Status::kInvalidValue, Cat("cols = ", cols, " must be > 0"));
    NotNull(weights, "weights");
    const hinm::DType wt = AnyDType(weight_type, "weight_type");
    Check(ldw >= cols, Status::kInvalidValue,
          Cat("ldw = ", ldw, " must be >= cols = ", cols));
    SpanElements(rows, cols, ldw, hinm::DTypeSize(wt), "weights");
    if (saliency != nullptr) {
      Check(lds >= cols, Status::kInvalidValue, Cat("lds = ", lds, " must be >= cols = ", cols));
      SpanElements(rows, cols, lds, sizeof(float), "saliency");
    }
    hinm::PruneOptions opt = OptionsOf(config);
    // The shape limits of the format (int32 indices, K_keep range), checked
    // before any weight is read.
    const int64_t kept = opt.kept_cols != 0
                             ? opt.kept_cols
                             : hinm::KeptColsForSparsity(cols, opt.vector_sparsity);
    const int64_t max_kept = (cols + hinm::kGroupSize - 1) / hinm::kGroupSize * hinm::kGroupSize;
    Check(kept <= max_kept, Status::kInvalidValue,
          Cat("config->kept_cols = ", kept, " exceeds cols = ", cols, " rounded up to 4 (",
              max_kept, ")"));
    hinm::Layout::Make(rows, cols, opt.tile_rows, kept, opt.value_dtype);

    hinm::DenseView w;
    w.data = weights;
    w.dtype = wt;
    w.rows = rows;
    w.cols = cols;
    w.ld = ldw;
    CheckFiniteWeights(w);
    hinm::SaliencyView s;
    if (saliency != nullptr) {
      CheckSaliency(saliency, rows, cols, lds);
      s.data = saliency;
      s.rows = rows;
      s.cols = cols;
      s.ld = lds;
    }
    hinm::CompressedMatrix m = hinm::PruneAndCompress(w, s, opt);
    *desc = NewDescriptor(std::move(m));
  });
}

hinmStatus_t hinmDestroyDescriptor(hinmDescriptor_t desc) {
  return Guard(__func__, [&] {
    LiveMatrix(desc, "desc");
    Check(hinm_capi::MatrixRegistry().Unregister(desc), Status::kNotInitialized,
          "desc was destroyed by another thread meanwhile");
    desc->magic = 0;
    delete desc;
  });
}

hinmStatus_t hinmGetDescriptorInfo(hinmDescriptor_t desc, hinmDescriptorInfo_t* info,
                                   size_t info_size) {
  return Guard(__func__, [&] {
    const hinm::CompressedMatrix& m = LiveMatrix(desc, "desc")->matrix;
    NotNull(info, "info");
    Check(info_size > 0, Status::kInvalidValue,
          Cat("info_size = 0: pass sizeof(hinmDescriptorInfo_t) (", sizeof(hinmDescriptorInfo_t),
              ")"));
    const hinm::Layout& l = m.layout;
    hinmDescriptorInfo_t out;
    std::memset(&out, 0, sizeof(out));
    out.rows = l.rows;
    out.cols = l.cols;
    out.tile_rows = l.tile_rows;
    out.kept_cols = l.kept_cols;
    out.num_tiles = l.num_tiles();
    out.value_type = static_cast<hinmDataType_t>(l.dtype);
    out.sparsity = m.sparsity();
    // K_keep may exceed K by padding (K not a multiple of 4): no column is
    // pruned then, so the vector sparsity is 0, not negative.
    out.vector_sparsity =
        std::max(0.0, 1.0 - static_cast<double>(l.kept_cols) / static_cast<double>(l.cols));
    out.retained_saliency = m.stats.retained_saliency;
    out.compressed_bytes = m.compressed_bytes();
    out.dense_bytes = m.dense_bytes();
    out.compression_ratio = out.compressed_bytes > 0 ? static_cast<double>(out.dense_bytes) /
                                                           static_cast<double>(out.compressed_bytes)
                                                     : 0.0;
    out.has_row_permutation = m.row_perm.empty() ? 0 : 1;
    out.has_column_permutation = m.column_permuted ? 1 : 0;
    std::memcpy(info, &out, std::min(info_size, sizeof(out)));
  });
}

hinmStatus_t hinmGetRowPermutation(hinmDescriptor_t desc, int32_t* perm, int64_t count) {
  return Guard(__func__, [&] {
    const hinm::CompressedMatrix& m = LiveMatrix(desc, "desc")->matrix;
    NotNull(perm, "perm");
    Check(count >= m.layout.rows, Status::kInvalidValue,
          Cat("count = ", count, " is smaller than rows = ", m.layout.rows));
    for (int64_t p = 0; p < m.layout.rows; ++p) perm[p] = m.original_row(p);
  });
}

hinmStatus_t hinmGetColumnIndices(hinmDescriptor_t desc, int32_t* idx, int64_t count) {
  return Guard(__func__, [&] {
    const hinm::CompressedMatrix& m = LiveMatrix(desc, "desc")->matrix;
    NotNull(idx, "idx");
    const hinm::Layout& l = m.layout;
    const int64_t needed = l.num_tiles() * l.kept_cols;
    Check(count >= needed, Status::kInvalidValue,
          Cat("count = ", count, " is smaller than num_tiles * kept_cols = ", l.num_tiles(), " * ",
              l.kept_cols, " = ", needed));
    for (int64_t t = 0; t < l.num_tiles(); ++t) {
      for (int64_t s = 0; s < l.kept_cols; ++s) {
        idx[t * l.kept_cols + s] = m.col_idx[l.col_index(t, s)];
      }
    }
  });
}

hinmStatus_t hinmGetTunedPlans(hinmDescriptor_t desc, hinmTunedPlan_t* plans, int64_t capacity,
                               size_t plan_size, int64_t* count) {
  return Guard(__func__, [&] {
    const hinmMatrix* d = LiveMatrix(desc, "desc");
    NotNull(count, "count");
    Check(capacity >= 0, Status::kInvalidValue, Cat("capacity = ", capacity, " must be >= 0"));
    Check(capacity == 0 || plans != nullptr, Status::kNullPointer,
          Cat("plans is NULL but capacity = ", capacity));
    Check(plan_size > 0, Status::kInvalidValue,
          Cat("plan_size = 0: pass sizeof(hinmTunedPlan_t) (", sizeof(hinmTunedPlan_t), ")"));
    const std::vector<hinm::TunedPlans::Entry> entries = d->tuned.Entries();
    const int64_t n = static_cast<int64_t>(entries.size());
    for (int64_t i = 0; i < std::min(n, capacity); ++i) {
      const hinm::TunedPlans::Entry& e = entries[static_cast<size_t>(i)];
      hinmTunedPlan_t out;
      std::memset(&out, 0, sizeof(out));
      // The core keeps names within these fields (serialize.h's limits).
      std::snprintf(out.device_name, sizeof(out.device_name), "%s", e.problem.device.name.c_str());
      out.cc_major = e.problem.device.cc_major;
      out.cc_minor = e.problem.device.cc_minor;
      out.sm_count = e.problem.device.sm_count;
      out.n = e.problem.n;
      out.b_order = static_cast<hinmOrder_t>(e.problem.b_order);
      out.c_order = static_cast<hinmOrder_t>(e.problem.c_order);
      out.kernel = static_cast<hinmKernel_t>(e.choice.kernel);
      std::snprintf(out.config, sizeof(out.config), "%s", e.choice.config.c_str());
      out.splits = e.choice.splits;
      out.cluster = e.choice.cluster ? 1 : 0;
      std::memcpy(reinterpret_cast<char*>(plans) + static_cast<size_t>(i) * plan_size, &out,
                  std::min(plan_size, sizeof(out)));
    }
    *count = n;
  });
}

hinmStatus_t hinmFoldInputPermutation(hinmHandle_t handle, hinmDescriptor_t* folded,
                                      hinmDescriptor_t desc, const int32_t* perm,
                                      int64_t count) {
  return Guard(__func__, [&] {
    LiveContext(handle, "handle");
    NotNull(folded, "folded");
    const hinm::CompressedMatrix& m = LiveMatrix(desc, "desc")->matrix;
    NotNull(perm, "perm");
    Check(count == m.layout.cols, Status::kInvalidValue,
          Cat("count = ", count, " must equal cols = ", m.layout.cols));
    // desc's searched plans are not carried over: the kernel's shapes are
    // the same, but it gathers other rows of B, which no search timed (a
    // search of the new descriptor takes a few ms).
    *folded = NewDescriptor(hinm::FoldInputPermutation(m, perm, count));
  });
}

hinmStatus_t hinmDecompress(hinmDescriptor_t desc, void* dense, hinmDataType_t type, int64_t ld) {
  return Guard(__func__, [&] {
    const hinm::CompressedMatrix& m = LiveMatrix(desc, "desc")->matrix;
    NotNull(dense, "dense");
    const hinm::DType t = AnyDType(type, "type");
    const int64_t M = m.layout.rows, K = m.layout.cols;
    Check(ld >= K, Status::kInvalidValue, Cat("ld = ", ld, " must be >= cols = ", K));
    SpanElements(M, K, ld, hinm::DTypeSize(t), "dense");
    if (t == hinm::DType::kFloat32) {
      hinm::Decompress(m, static_cast<float*>(dense), ld);
      return;
    }
    std::vector<float> tmp(static_cast<size_t>(M * K));
    hinm::Decompress(m, tmp.data(), K);
    uint16_t* out = static_cast<uint16_t*>(dense);
    for (int64_t r = 0; r < M; ++r) {
      for (int64_t c = 0; c < K; ++c) out[r * ld + c] = hinm::FloatTo16(tmp[r * K + c], t);
    }
  });
}

hinmStatus_t hinmDescriptorToDevice(hinmHandle_t handle, hinmDescriptor_t desc,
                                    cudaStream_t stream) {
  return Guard(__func__, [&] {
    LiveContext(handle, "handle");
    hinmMatrix* d = LiveMatrix(desc, "desc");
    RequireDevice();
    DeviceCopy(d, stream);
  });
}

hinmStatus_t hinmSaveDescriptor(hinmDescriptor_t desc, const char* path) {
  return Guard(__func__, [&] {
    const hinmMatrix* d = LiveMatrix(desc, "desc");
    CheckPath(path);
    hinm::SaveToFile(d->matrix, path, d->tuned.Entries());
  });
}

hinmStatus_t hinmLoadDescriptor(hinmHandle_t handle, hinmDescriptor_t* desc, const char* path) {
  return Guard(__func__, [&] {
    LiveContext(handle, "handle");
    NotNull(desc, "desc");
    CheckPath(path);
    std::vector<hinm::TunedPlans::Entry> tuned;
    hinm::CompressedMatrix m = hinm::LoadFromFile(path, &tuned);
    *desc = NewDescriptor(std::move(m), tuned);
  });
}

hinmStatus_t hinmSerializedSize(hinmDescriptor_t desc, size_t* size) {
  return Guard(__func__, [&] {
    const hinmMatrix* d = LiveMatrix(desc, "desc");
    NotNull(size, "size");
    *size = hinm::SerializedSize(d->matrix, d->tuned.Entries());
  });
}

hinmStatus_t hinmSerialize(hinmDescriptor_t desc, void* buffer, size_t size) {
  return Guard(__func__, [&] {
    const hinmMatrix* d = LiveMatrix(desc, "desc");
    NotNull(buffer, "buffer");
    // One snapshot of the tuned plans, measured and written by the core
    // straight into the buffer (the file is not built here first). A search
    // storing one after the caller's hinmSerializedSize makes the bytes
    // longer; SerializeInto then refuses (INVALID_VALUE, "size = ... is
    // smaller than the ... bytes needed") before writing a byte, instead of
    // writing past the buffer.
    hinm::SerializeInto(d->matrix, d->tuned.Entries(), static_cast<uint8_t*>(buffer), size);
  });
}

hinmStatus_t hinmDeserialize(hinmHandle_t handle, hinmDescriptor_t* desc, const void* buffer,
                             size_t size) {
  return Guard(__func__, [&] {
    LiveContext(handle, "handle");
    NotNull(desc, "desc");
    NotNull(buffer, "buffer");
    Check(size > 0, Status::kCorruptFile, "size = 0: an empty buffer holds no descriptor");
    std::vector<hinm::TunedPlans::Entry> tuned;
    hinm::CompressedMatrix m =
        hinm::Deserialize(static_cast<const uint8_t*>(buffer), size, &tuned);
    *desc = NewDescriptor(std::move(m), tuned);
  });
}

hinmStatus_t hinmSpMM(hinmHandle_t handle, hinmDescriptor_t a, int64_t n, const float* alpha,
                      const void* b, hinmOrder_t b_order, int64_t ldb, const float* beta, void* c,
                      hinmOrder_t c_order, int64_t ldc, const void* bias, hinmDataType_t io_type,
                      hinmRowOrder_t rows, void* workspace, size_t workspace_size,
                      cudaStream_t stream) {
  return Guard(__func__, [&] {
    DeviceSpmm(false, handle, a, n, alpha, b, b_order, ldb, beta, c, c_order, ldc, bias, io_type,
               rows, workspace, workspace_size, stream);
  });
}

hinmStatus_t hinmSpMMSearch(hinmHandle_t handle, hinmDescriptor_t a, int64_t n,
                            const float* alpha, const void* b, hinmOrder_t b_order, int64_t ldb,
                            const float* beta, void* c, hinmOrder_t c_order, int64_t ldc,
                            const void* bias, hinmDataType_t io_type, hinmRowOrder_t rows,
                            void* workspace, size_t workspace_size, cudaStream_t stream) {
  return Guard(__func__, [&] {
    DeviceSpmm(true, handle, a, n, alpha, b, b_order, ldb, beta, c, c_order, ldc, bias, io_type,
               rows, workspace, workspace_size, stream);
  });
}

hinmStatus_t hinmSpMMWorkspaceSize(hinmHandle_t handle, hinmDescriptor_t a, int64_t n,
                                   hinmOrder_t b_order, hinmOrder_t c_order, size_t* size) {
  return Guard(__func__, [&] {
    LiveContext(handle, "handle");
    hinmMatrix* d = LiveMatrix(a, "a");
    Check(n >= 0, Status::kInvalidValue, Cat("n = ", n, " must be >= 0"));
    const hinm::Order bo = OrderOf(b_order, "b_order");
    const hinm::Order co = OrderOf(c_order, "c_order");
    NotNull(size, "size");
    size_t needed = 0;
    if (n > 0) PlanFor(d, n, bo, co, nullptr, 0, &needed);  // the plan hinmSpMM would run
    *size = needed;
  });
}

hinmStatus_t hinmSpMMHost(hinmHandle_t handle, hinmDescriptor_t a, int64_t n, const float* alpha,
                          const void* b, hinmOrder_t b_order, int64_t ldb, const float* beta,
                          void* c, hinmOrder_t c_order, int64_t ldc, const void* bias,
                          hinmDataType_t io_type, hinmRowOrder_t rows) {
  return Guard(__func__, [&] {
    LiveContext(handle, "handle");
    hinmMatrix* d = LiveMatrix(a, "a");
    Check(n >= 0, Status::kInvalidValue, Cat("n = ", n, " must be >= 0"));
    if (n == 0) return;  // empty problem
    const hinm::SpmmArgs args = CheckSpmmOperands(d->matrix, n, alpha, b, b_order, ldb, beta, c,
                                                  c_order, ldc, bias, io_type, rows, true);
    hinm::SpmmReference(d->matrix, args);
  });
}

hinmStatus_t hinmDenseGemm(hinmHandle_t handle, int64_t m, int64_t n, int64_t k,
                           const float* alpha, const void* a, int64_t lda, const void* b,
                           hinmOrder_t b_order, int64_t ldb, const float* beta, void* c,
                           hinmOrder_t c_order, int64_t ldc, hinmDataType_t type,
                           cudaStream_t stream) {
  return Guard(__func__, [&] {
    hinmContext* ctx = LiveContext(handle, "handle");
    Check(m >= 0, Status::kInvalidValue, Cat("m = ", m, " must be >= 0"));
    Check(n >= 0, Status::kInvalidValue, Cat("n = ", n, " must be >= 0"));
    Check(k >= 0, Status::kInvalidValue, Cat("k = ", k, " must be >= 0"));
    if (m == 0 || n == 0) return;  // empty output
    NotNull(alpha, "alpha");
    NotNull(a, "a");
    Check(lda >= k, Status::kInvalidValue, Cat("lda = ", lda, " must be >= k = ", k));
    NotNull(b, "b");
    const hinm::Order bo = OrderOf(b_order, "b_order");
    const Extents be = CheckedOperand(bo, k, n, ldb, "ldb", "B", "K");
    NotNull(beta, "beta");
    NotNull(c, "c");
    const hinm::Order co = OrderOf(c_order, "c_order");
    const Extents ce = CheckedOperand(co, m, n, ldc, "ldc", "C", "M");
    const hinm::DType t = Half16DType(type, "type");
    SpanElements(m, k, lda, 2, "A");
    SpanElements(be.rows, be.cols, ldb, 2, "B");
    SpanElements(ce.rows, ce.cols, ldc, 2, "C");
    RequireDevice();
    if (!ctx->gpu) ctx->gpu = std::make_unique<hinm::GpuContext>();
    hinm::DenseGemmDevice(*ctx->gpu, m, n, k, *alpha, a, lda, b, bo, ldb, *beta, c, co, ldc, t,
                          stream);
  });
}

}  // extern "C"
