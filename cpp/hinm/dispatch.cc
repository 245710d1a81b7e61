// GPU side of the core: device copies, kernel planning and launch, cuBLAS.
// Everything here turns core types (CompressedMatrix, SpmmArgs) into the plain
// structs of cuda/spmm_params.h, and CUDA / cuBLAS statuses into hinm::Error.
#include "cpp/hinm/dispatch.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>

#include "cpp/hinm/device_error.h"
#include "cpp/hinm/error.h"
#include "cuda/spmm_configs.h"
#include "cuda/spmm_params.h"

namespace hinm {

void ThrowCuda(cudaError_t e, const char* what) {
  cudaGetLastError();
  const Status s = e == cudaErrorMemoryAllocation ? Status::kAllocFailed
                   : (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver)
                       ? Status::kNoDevice
                       : Status::kCudaError;
  throw Error(s, std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) +
                     ")");
}

namespace {

// A device buffer from CUDA's stream-ordered allocator, returned to it in
// stream order when this object goes out of scope (also on errors).
class StreamOrderedBuffer {
 public:
  StreamOrderedBuffer() = default;
  StreamOrderedBuffer(const StreamOrderedBuffer&) = delete;
  StreamOrderedBuffer& operator=(const StreamOrderedBuffer&) = delete;
  ~StreamOrderedBuffer() {
    if (ptr_ != nullptr) cudaFreeAsync(ptr_, stream_);
  }
  void Allocate(size_t bytes, cudaStream_t stream) {
    // Kept only on success: CUDA does not promise to leave the pointer alone
    // when it fails, and the destructor must not free what was never given.
    void* p = nullptr;
    CheckCuda(cudaMallocAsync(&p, bytes, stream), "cudaMallocAsync of the SpMM workspace");
    ptr_ = p;
    stream_ = stream;
  }
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

void RequireDevice() {
  Require(HasDevice(), Status::kNoDevice, "no CUDA device is available");
}

const char* CublasName(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

void CheckCublas(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  const Status st = s == CUBLAS_STATUS_ALLOC_FAILED ? Status::kAllocFailed : Status::kCublasError;
  throw Error(st, std::string(what) + ": " + CublasName(s));
}

template <typename T>
T* UploadArray(const void* src, size_t bytes, cudaStream_t stream) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  CheckCuda(cudaMalloc(&p, bytes), "cudaMalloc for the compressed matrix");
  const cudaError_t e = cudaMemcpyAsync(p, src, bytes, cudaMemcpyHostToDevice, stream);
  if (e != cudaSuccess) {
    cudaFree(p);
    ThrowCuda(e, "cudaMemcpyAsync of the compressed matrix");
  }
  return static_cast<T*>(p);
}

hinm_cuda::DeviceInfo CurrentDeviceInfo() {
  hinm_cuda::DeviceInfo info;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    cudaGetLastError();
    return info;  // no device: the defaults; SpmmDevice will refuse anyway
  }
  int v = 0;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, dev) == cudaSuccess) info.num_sms = v;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrComputeCapabilityMajor, dev) == cudaSuccess) info.cc_major = v;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrComputeCapabilityMinor, dev) == cudaSuccess) info.cc_minor = v;
  cudaGetLastError();
  return info;
}

hinm_cuda::SpmmParams MakeParams(const CompressedMatrix& a, const DeviceMatrix* d, int64_t n,
                                 Order b_order, Order c_order) {
  hinm_cuda::SpmmParams p;
  const Layout& l = a.layout;
  p.m = static_cast<int32_t>(l.rows);
  p.k = static_cast<int32_t>(l.cols);
  Require(n <= INT32_MAX, Status::kSizeOverflow, "n must be < 2^31");
  p.n = static_cast<int32_t>(n);
  p.tile_rows = l.tile_rows;
  Require(l.padded_slots() <= INT32_MAX, Status::kSizeOverflow, "K_keep too large");
  p.padded_slots = static_cast<int32_t>(l.padded_slots());
  p.dtype = l.dtype == DType::kBFloat16 ? hinm_cuda::ElemType::kBF16 : hinm_cuda::ElemType::kF16;
  p.b_token_major = b_order == Order::kTokenMajor;
  p.c_token_major = c_order == Order::kTokenMajor;
  if (d != nullptr) {
    p.values = d->values();
    p.meta = d->meta();
    p.col_idx = d->col_idx();
    p.row_perm = d->row_perm();
  }
  return p;
}

bool Aligned(const void* p, size_t bytes) {
  return reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

}  // namespace

bool HasDevice() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return count > 0;
}

std::unique_ptr<DeviceMatrix> DeviceMatrix::Upload(const CompressedMatrix& m,
                                                   cudaStream_t stream) {
  RequireDevice();
  std::unique_ptr<DeviceMatrix> d(new DeviceMatrix());
  CheckCuda(cudaGetDevice(&d->device_), "cudaGetDevice");
  // On failure the destructor frees whatever was allocated so far.
  d->values_ = UploadArray<uint16_t>(m.values.data(), m.values.size() * sizeof(uint16_t), stream);
  d->meta_ = UploadArray<uint32_t>(m.meta.data(), m.meta.size() * sizeof(uint32_t), stream);
  d->col_idx_ = UploadArray<int32_t>(m.col_idx.data(), m.col_idx.size() * sizeof(int32_t), stream);
  d->row_perm_ =
      UploadArray<int32_t>(m.row_perm.data(), m.row_perm.size() * sizeof(int32_t), stream);
  // Synchronous: the host vectors may go away after we return.
  CheckCuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize after upload");
  return d;
}

DeviceMatrix::~DeviceMatrix() {
  // Frees on the device that owns the arrays; errors here cannot be reported.
  int prev = -1;
  const bool switched = device_ >= 0 && cudaGetDevice(&prev) == cudaSuccess && prev != device_ &&
                        cudaSetDevice(device_) == cudaSuccess;
  cudaFree(values_);
  cudaFree(meta_);
  cudaFree(col_idx_);
  cudaFree(row_perm_);
  if (switched) cudaSetDevice(prev);
  cudaGetLastError();
}

GpuContext::GpuContext() = default;

GpuContext::~GpuContext() {
  if (cublas_ != nullptr) cublasDestroy(static_cast<cublasHandle_t>(cublas_));
}

void* GpuContext::cublas() {
  if (cublas_ == nullptr) {
    RequireDevice();
    cublasHandle_t h = nullptr;
    CheckCublas(cublasCreate(&h), "cublasCreate");
    cublas_ = h;
  }
  return cublas_;
}

namespace {

hinm_cuda::KernelChoice ToChoice(GpuKernel k) {
  switch (k) {
    case GpuKernel::kMmaSp: return hinm_cuda::KernelChoice::kMmaSp;
    case GpuKernel::kWgmmaSp: return hinm_cuda::KernelChoice::kWgmmaSp;
    case GpuKernel::kAuto: break;
  }
  return hinm_cuda::KernelChoice::kAuto;
}

hinm_cuda::PlanChoice ToPlanChoice(const SpmmPlanChoice& c) {
  hinm_cuda::PlanChoice p;
  p.kernel = ToChoice(c.kernel);
  for (int i = 0; i < hinm_cuda::kNumConfigs; ++i)
    if (c.config == hinm_cuda::kConfigs[i].name) p.config = i;
  p.splits = c.splits;
  p.sum = c.cluster ? hinm_cuda::SplitSum::kCluster : hinm_cuda::SplitSum::kPartials;
  return p;
}

SpmmPlanChoice FromPlanChoice(const hinm_cuda::PlanChoice& p) {
  SpmmPlanChoice c;
  switch (p.kernel) {
    case hinm_cuda::KernelChoice::kMmaSp: c.kernel = GpuKernel::kMmaSp; break;
    case hinm_cuda::KernelChoice::kWgmmaSp: c.kernel = GpuKernel::kWgmmaSp; break;
    case hinm_cuda::KernelChoice::kAuto: break;
  }
  if (p.config >= 0 && p.config < hinm_cuda::kNumConfigs) c.config = hinm_cuda::kConfigs[p.config].name;
  c.splits = p.splits;
  c.cluster = p.sum == hinm_cuda::SplitSum::kCluster;
  return c;
}

// The launcher's view of one call (d null: no device arrays, for planning).
hinm_cuda::SpmmParams MakeCallParams(const CompressedMatrix& a, const DeviceMatrix* d,
                                     const SpmmArgs& args, GpuKernel kernel,
                                     const SpmmPlanChoice& choice) {
  hinm_cuda::SpmmParams p = MakeParams(a, d, args.n, args.b_order, args.c_order);
  p.store_permuted = args.rows == RowOrder::kPermuted;
  p.b = args.b;
  p.ldb = args.ldb;
  p.c = args.c;
  p.ldc = args.ldc;
  p.bias = args.bias;
  p.alpha = args.alpha;
  p.beta = args.beta;
  p.kernel = ToChoice(kernel);
  p.choice = ToPlanChoice(choice);
  return p;
}

}  // namespace

std::string SpmmPlanDescription(const CompressedMatrix& a, const SpmmArgs& args,
                                GpuKernel kernel, const SpmmPlanChoice& choice) {
  return hinm_cuda::SpmmPlanSummary(MakeCallParams(a, nullptr, args, kernel, choice),
                                    CurrentDeviceInfo());
}

std::vector<SpmmPlanChoice> SpmmPlanCandidates(const CompressedMatrix& a, const SpmmArgs& args) {
  std::vector<SpmmPlanChoice> out;
  const hinm_cuda::SpmmParams p = MakeCallParams(a, nullptr, args, GpuKernel::kAuto, {});
  for (const hinm_cuda::PlanChoice& c : hinm_cuda::SpmmPlanCandidates(p, CurrentDeviceInfo()))
    out.push_back(FromPlanChoice(c));
  return out;
}

size_t SpmmWorkspaceSize(const CompressedMatrix& a, int64_t n, Order b_order, Order c_order,
                         GpuKernel kernel, const SpmmPlanChoice& choice) {
  if (n <= 0) return 0;
  hinm_cuda::SpmmParams p = MakeParams(a, nullptr, n, b_order, c_order);
  p.kernel = ToChoice(kernel);
  p.choice = ToPlanChoice(choice);
  // The planner makes the same choice here as in SpmmDevice (same problem,
  // device and knobs), so this is what that call will need.
  return hinm_cuda::SpmmWorkspaceBytes(p, CurrentDeviceInfo());
}

void SpmmDevice(const CompressedMatrix& a, const DeviceMatrix& d, const SpmmArgs& args,
                void* workspace, size_t workspace_size, cudaStream_t stream, GpuKernel kernel,
                const SpmmPlanChoice& choice) {
  ValidateSpmmArgs(a, args);
  if (args.n == 0) return;
  Require(args.io_dtype == a.layout.dtype, Status::kInvalidDType,
          std::string("on the GPU, io_type must equal the matrix's value type (") +
              DTypeName(a.layout.dtype) + "), got " + DTypeName(args.io_dtype));
  Require(Aligned(args.b, 2) && Aligned(args.c, 2) && Aligned(args.bias, 2), Status::kMisaligned,
          "b, c and bias must be aligned to their 2-byte element type");
  RequireDevice();
  int dev = -1;
  CheckCuda(cudaGetDevice(&dev), "cudaGetDevice");
  Require(dev == d.device(), Status::kInvalidValue,
          "the matrix was uploaded to device " + std::to_string(d.device()) +
              " but the current device is " + std::to_string(dev));
  const hinm_cuda::DeviceInfo info = CurrentDeviceInfo();
  Require(info.cc_major >= 8, Status::kNotSupported,
          "the sparse kernel needs sm_80 or newer (device is sm_" +
              std::to_string(info.cc_major * 10 + info.cc_minor) +
              "); use hinmDenseGemm on the decompressed weights");

  const hinm_cuda::SpmmParams p = MakeCallParams(a, &d, args, kernel, choice);

  const size_t need = hinm_cuda::SpmmWorkspaceBytes(p, info);
  // No caller buffer: take one from the stream-ordered pool. It is freed in
  // stream order after the kernels, so no synchronisation is needed.
  StreamOrderedBuffer own;
  if (workspace == nullptr && workspace_size == 0 && need > 0) {
    own.Allocate(need, stream);
    workspace = own.get();
    workspace_size = need;
  }
  Require(workspace_size >= need, Status::kInvalidValue,
          "workspace_size " + std::to_string(workspace_size) + " < required " +
              std::to_string(need) + " bytes (query hinmSpMMWorkspaceSize)");
  Require(need == 0 || workspace != nullptr, Status::kNullPointer,
          "workspace is null but " + std::to_string(need) + " bytes are required");
  Require(Aligned(workspace, 16), Status::kMisaligned, "workspace must be 16-byte aligned");

  const hinm_cuda::LaunchResult r = hinm_cuda::SpmmLaunch(p, info, workspace, workspace_size, stream);
  switch (r.status) {
    case hinm_cuda::LaunchStatus::kOk:
      return;
    case hinm_cuda::LaunchStatus::kWorkspaceTooSmall:
      throw Error(Status::kInvalidValue, "workspace too small for the chosen kernel");
    case hinm_cuda::LaunchStatus::kMisaligned:
      throw Error(Status::kMisaligned, r.reason);
    case hinm_cuda::LaunchStatus::kNoKernel:
      throw Error(Status::kNotSupported, r.reason);
    case hinm_cuda::LaunchStatus::kCudaError:
      ThrowCuda(r.cuda_error, "SpMM kernel launch");
  }
  throw Error(Status::kInternalError, "unknown launcher status");
}

void DenseGemmDevice(GpuContext& ctx, int64_t m, int64_t n, int64_t k, float alpha, const void* a,
                     int64_t lda, const void* b, Order b_order, int64_t ldb, float beta, void* c,
                     Order c_order, int64_t ldc, DType dtype, cudaStream_t stream) {
  Require(m >= 0 && n >= 0 && k >= 0, Status::kInvalidValue, "m, n, k must be >= 0");
  if (m == 0 || n == 0) return;
  Require(dtype == DType::kFloat16 || dtype == DType::kBFloat16, Status::kInvalidDType,
          std::string("dense GEMM takes float16 or bfloat16, got ") + DTypeName(dtype));
  Require(a != nullptr && b != nullptr && c != nullptr, Status::kNullPointer,
          "a, b and c must be non-null");
  Require(lda >= k && lda >= 1, Status::kInvalidValue, "lda must be >= k");
  Require(ldb >= (b_order == Order::kFeatureMajor ? n : k) && ldb >= 1, Status::kInvalidValue,
          b_order == Order::kFeatureMajor ? "ldb must be >= n (feature-major B is K x N)"
                                          : "ldb must be >= k (token-major B is N x K)");
  Require(ldc >= (c_order == Order::kFeatureMajor ? n : m) && ldc >= 1, Status::kInvalidValue,
          c_order == Order::kFeatureMajor ? "ldc must be >= n (feature-major C is M x N)"
                                          : "ldc must be >= m (token-major C is N x M)");
  const int64_t lim = INT32_MAX;
  Require(m <= lim && n <= lim && k <= lim && lda <= lim && ldb <= lim && ldc <= lim,
          Status::kSizeOverflow, "cuBLAS sizes and leading dimensions must be < 2^31");
  RequireDevice();
  cublasHandle_t h = static_cast<cublasHandle_t>(ctx.cublas());
  CheckCublas(cublasSetStream(h, stream), "cublasSetStream");
  const cudaDataType_t t = dtype == DType::kFloat16 ? CUDA_R_16F : CUDA_R_16BF;
  const int im = static_cast<int>(m), in = static_cast<int>(n), ik = static_cast<int>(k);
  // cuBLAS is column-major; a row-major X is X^T column-major with the same ld.
  if (c_order == Order::kFeatureMajor) {
    // C (M x N row-major) = C^T (N x M col-major) = B^T A^T.
    //   B feature-major: K x N row-major = B^T col-major -> op N.
    //   B token-major:   N x K row-major = B   col-major (K x N) -> op T.
    //   A: M x K row-major = A^T col-major (K x M) -> op N.
    const cublasOperation_t opb = b_order == Order::kFeatureMajor ? CUBLAS_OP_N : CUBLAS_OP_T;
    CheckCublas(cublasGemmEx(h, opb, CUBLAS_OP_N, in, im, ik, &alpha, b, t, static_cast<int>(ldb),
                             a, t, static_cast<int>(lda), &beta, c, t, static_cast<int>(ldc),
                             CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx");
  } else {
    // C token-major: N x M row-major = C col-major (M x N) = A B.
    //   A^T col-major -> op T; B feature-major = B^T col-major -> op T;
    //   B token-major = B col-major -> op N.
    const cublasOperation_t opb = b_order == Order::kFeatureMajor ? CUBLAS_OP_T : CUBLAS_OP_N;
    CheckCublas(cublasGemmEx(h, CUBLAS_OP_T, opb, im, in, ik, &alpha, a, t, static_cast<int>(lda),
                             b, t, static_cast<int>(ldb), &beta, c, t, static_cast<int>(ldc),
                             CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx");
  }
}

}  // namespace hinm
