#include "benchmarks/cusparselt_baseline.h"

#include <stdexcept>

#ifdef HINM_HAVE_CUSPARSELT
#include <cusparseLt.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#endif

namespace hinm_bench {

#ifndef HINM_HAVE_CUSPARSELT

std::string CusparseLtStatus() { return "not built"; }
std::string CusparseLtBuildInfo() { return "not built"; }
bool CusparseLtAvailable() { return false; }

struct CusparseLtGemm::Impl {};
CusparseLtGemm::CusparseLtGemm(int64_t, int64_t, int64_t, hinm::DType, const void*, int,
                               const void*, void*) {
  throw std::runtime_error("cuSPARSELt: not built");
}
CusparseLtGemm::~CusparseLtGemm() = default;
void CusparseLtGemm::Run(int, cudaStream_t) {}

#else  // HINM_HAVE_CUSPARSELT

namespace {

// The entry points we use, resolved once with dlsym. decltype keeps each
// pointer's type equal to the header's declaration.
struct Api {
#define HINM_LT_FN(name) decltype(&::name) name = nullptr;
  HINM_LT_FN(cusparseLtInit)
  HINM_LT_FN(cusparseLtGetVersion)
  HINM_LT_FN(cusparseLtGetErrorString)
  HINM_LT_FN(cusparseLtDenseDescriptorInit)
  HINM_LT_FN(cusparseLtStructuredDescriptorInit)
  HINM_LT_FN(cusparseLtMatDescriptorDestroy)
  HINM_LT_FN(cusparseLtMatmulDescriptorInit)
  HINM_LT_FN(cusparseLtMatmulAlgSelectionInit)
  HINM_LT_FN(cusparseLtMatmulAlgSelectionDestroy)
  HINM_LT_FN(cusparseLtMatmulAlgGetAttribute)
  HINM_LT_FN(cusparseLtMatmulPlanInit)
  HINM_LT_FN(cusparseLtMatmulPlanDestroy)
  HINM_LT_FN(cusparseLtMatmulGetWorkspace)
  HINM_LT_FN(cusparseLtMatmul)
  HINM_LT_FN(cusparseLtMatmulSearch)
  HINM_LT_FN(cusparseLtSpMMAPrune)
  HINM_LT_FN(cusparseLtSpMMAPruneCheck)
  HINM_LT_FN(cusparseLtSpMMACompressedSize)
  HINM_LT_FN(cusparseLtSpMMACompress)
#undef HINM_LT_FN
  cusparseLtHandle_t handle;  // one per process, on device 0 (the bench's)
  std::string status;         // version or why not
  bool ok = false;
};

Api& Lib() {
  static Api api;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* path = std::getenv("HINM_CUSPARSELT_LIB");
    void* so = dlopen(path && *path ? path : "libcusparseLt.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!so) {
      const char* e = dlerror();
      api.status = std::string("not found: ") + (e ? e : "dlopen failed");
      return;
    }
    bool all = true;
#define HINM_LT_LOAD(name)                                                  \
  api.name = reinterpret_cast<decltype(api.name)>(dlsym(so, #name)); \
  if (!api.name) all = false;
    HINM_LT_LOAD(cusparseLtInit)
    HINM_LT_LOAD(cusparseLtGetVersion)
    HINM_LT_LOAD(cusparseLtGetErrorString)
    HINM_LT_LOAD(cusparseLtDenseDescriptorInit)
    HINM_LT_LOAD(cusparseLtStructuredDescriptorInit)
    HINM_LT_LOAD(cusparseLtMatDescriptorDestroy)
    HINM_LT_LOAD(cusparseLtMatmulDescriptorInit)
    HINM_LT_LOAD(cusparseLtMatmulAlgSelectionInit)
    HINM_LT_LOAD(cusparseLtMatmulAlgSelectionDestroy)
    HINM_LT_LOAD(cusparseLtMatmulAlgGetAttribute)
    HINM_LT_LOAD(cusparseLtMatmulPlanInit)
    HINM_LT_LOAD(cusparseLtMatmulPlanDestroy)
    HINM_LT_LOAD(cusparseLtMatmulGetWorkspace)
    HINM_LT_LOAD(cusparseLtMatmul)
    HINM_LT_LOAD(cusparseLtMatmulSearch)
    HINM_LT_LOAD(cusparseLtSpMMAPrune)
    HINM_LT_LOAD(cusparseLtSpMMAPruneCheck)
    HINM_LT_LOAD(cusparseLtSpMMACompressedSize)
    HINM_LT_LOAD(cusparseLtSpMMACompress)
#undef HINM_LT_LOAD
    if (!all) {
      api.status = "not found: libcusparseLt.so.0 lacks an entry point of header " +
                   std::to_string(CUSPARSELT_VERSION);
      return;
    }
    if (api.cusparseLtInit(&api.handle) != CUSPARSE_STATUS_SUCCESS) {
      api.status = "not found: cusparseLtInit failed on this device";
      return;
    }
    int v = 0;
    api.cusparseLtGetVersion(&api.handle, &v);
    // CUSPARSELT_VERSION = major * 1000 + minor * 100 + patch.
    auto dotted = [](int x) {
      return std::to_string(x / 1000) + "." + std::to_string(x % 1000 / 100) + "." +
             std::to_string(x % 100);
    };
    api.status = dotted(v) + " (built against header " + dotted(CUSPARSELT_VERSION) + ")";
    api.ok = true;
  });
  return api;
}

void Check(cusparseStatus_t s, const char* what) {
  if (s != CUSPARSE_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuSPARSELt ") + what + ": " +
                             Lib().cusparseLtGetErrorString(s));
}
void CheckCuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw std::runtime_error(std::string("cuSPARSELt baseline ") + what + ": " +
                             cudaGetErrorString(e));
}

}  // namespace

std::string CusparseLtStatus() { return Lib().status; }
std::string CusparseLtBuildInfo() {
  return "built against header " + std::to_string(CUSPARSELT_VER_MAJOR) + "." +
         std::to_string(CUSPARSELT_VER_MINOR) + "." + std::to_string(CUSPARSELT_VER_PATCH);
}
bool CusparseLtAvailable() { return Lib().ok; }

struct CusparseLtGemm::Impl {
  cusparseLtMatDescriptor_t a, b, c;
  cusparseLtMatmulDescriptor_t mm;
  cusparseLtMatmulAlgSelection_t sel;
  cusparseLtMatmulPlan_t plan;
  bool have_descs = false, have_sel = false, have_plan = false;
  std::vector<void*> compressed;  // rotated copies
  void* workspace = nullptr;
  const void* d_b = nullptr;
  void* d_c = nullptr;
};

CusparseLtGemm::CusparseLtGemm(int64_t m, int64_t n, int64_t k, hinm::DType dtype,
                               const void* d_dense_a, int copies, const void* d_b, void* d_c)
    : impl_(new Impl), n_pad_(PadN(n)) {
  Api& lt = Lib();
  if (!lt.ok) throw std::runtime_error("cuSPARSELt: " + lt.status);
  Impl& s = *impl_;
  s.d_b = d_b;
  s.d_c = d_c;
  const cudaDataType t = dtype == hinm::DType::kBFloat16 ? CUDA_R_16BF : CUDA_R_16F;
  const cusparseOrder_t row = CUSPARSE_ORDER_ROW;
  const cusparseOperation_t nt = CUSPARSE_OPERATION_NON_TRANSPOSE;
  Check(lt.cusparseLtStructuredDescriptorInit(&lt.handle, &s.a, m, k, k, 16, t, row,
                                              CUSPARSELT_SPARSITY_50_PERCENT),
        "structured descriptor");
  Check(lt.cusparseLtDenseDescriptorInit(&lt.handle, &s.b, k, n_pad_, n_pad_, 16, t, row),
        "dense descriptor B");
  Check(lt.cusparseLtDenseDescriptorInit(&lt.handle, &s.c, m, n_pad_, n_pad_, 16, t, row),
        "dense descriptor C");
  s.have_descs = true;
  Check(lt.cusparseLtMatmulDescriptorInit(&lt.handle, &s.mm, nt, nt, &s.a, &s.b, &s.c, &s.c,
                                          CUSPARSE_COMPUTE_32F),
        "matmul descriptor");
  Check(lt.cusparseLtMatmulAlgSelectionInit(&lt.handle, &s.sel, &s.mm,
                                            CUSPARSELT_MATMUL_ALG_DEFAULT),
        "algorithm selection");
  s.have_sel = true;
  Check(lt.cusparseLtMatmulPlanInit(&lt.handle, &s.plan, &s.mm, &s.sel), "plan");
  s.have_plan = true;

  // 2:4 along K in every row (STRIP: the 2 largest |a| of each 1x4 strip).
  CheckCuda(cudaMalloc(&pruned_, static_cast<size_t>(m * k) * 2), "malloc pruned");
  Check(lt.cusparseLtSpMMAPrune(&lt.handle, &s.mm, d_dense_a, pruned_,
                                CUSPARSELT_PRUNE_SPMMA_STRIP, nullptr),
        "prune");
  // The check only reports by writing d_valid, so it must start at 0 (fresh
  // cudaMalloc memory is not guaranteed zero: a reused block failed here).
  void* d_valid = nullptr;
  CheckCuda(cudaMalloc(&d_valid, sizeof(int)), "malloc");
  CheckCuda(cudaMemset(d_valid, 0, sizeof(int)), "memset");
  Check(lt.cusparseLtSpMMAPruneCheck(&lt.handle, &s.mm, pruned_, static_cast<int*>(d_valid), nullptr),
        "prune check");
  int valid = 1;
  CheckCuda(cudaMemcpy(&valid, d_valid, sizeof(int), cudaMemcpyDeviceToHost), "copy");
  cudaFree(d_valid);
  if (valid != 0) throw std::runtime_error("cuSPARSELt: pruned matrix failed the 2:4 check");
  // And our own check, independent of the library: at most 2 nonzeros in every
  // group of 4 consecutive weights along K (16-bit zero = +0 or -0).
  {
    std::vector<uint16_t> h(static_cast<size_t>(m * k));
    CheckCuda(cudaMemcpy(h.data(), pruned_, h.size() * 2, cudaMemcpyDeviceToHost), "copy");
    for (size_t g = 0; g + 4 <= h.size(); g += 4) {
      int nz = 0;
      for (size_t j = g; j < g + 4; ++j) nz += (h[j] & 0x7fffu) != 0;
      if (nz > 2)
        throw std::runtime_error("cuSPARSELt: pruned row " + std::to_string(g / k) + " keeps " +
                                 std::to_string(nz) + " of 4 at column " +
                                 std::to_string(g % k));
    }
  }

  size_t buffer_bytes = 0;
  Check(lt.cusparseLtSpMMACompressedSize(&lt.handle, &s.plan, &compressed_bytes_, &buffer_bytes),
        "compressed size");
  void* buffer = nullptr;
  CheckCuda(cudaMalloc(&buffer, buffer_bytes ? buffer_bytes : 16), "malloc");
  for (int i = 0; i < copies; ++i) {
    void* p = nullptr;
    CheckCuda(cudaMalloc(&p, compressed_bytes_), "malloc compressed");
    s.compressed.push_back(p);
  }
  Check(lt.cusparseLtSpMMACompress(&lt.handle, &s.plan, pruned_, s.compressed[0], buffer, nullptr),
        "compress");
  CheckCuda(cudaDeviceSynchronize(), "compress");
  cudaFree(buffer);
  for (int i = 1; i < copies; ++i)
    CheckCuda(cudaMemcpy(s.compressed[i], s.compressed[0], compressed_bytes_,
                         cudaMemcpyDeviceToDevice),
              "copy compressed");

  // Algorithm search once, outside the timed region (it overwrites C).
  size_t ws = 0;
  Check(lt.cusparseLtMatmulGetWorkspace(&lt.handle, &s.plan, &ws), "workspace");
  size_t ws_alloc = ws;
  CheckCuda(cudaMalloc(&s.workspace, ws_alloc ? ws_alloc : 16), "malloc workspace");
  const float alpha = 1.f, beta = 0.f;
  Check(lt.cusparseLtMatmulSearch(&lt.handle, &s.plan, &alpha, s.compressed[0], d_b, &beta, d_c,
                                  d_c, s.workspace, nullptr, 0),
        "search");
  Check(lt.cusparseLtMatmulGetWorkspace(&lt.handle, &s.plan, &ws), "workspace");
  if (ws > ws_alloc) {
    cudaFree(s.workspace);
    CheckCuda(cudaMalloc(&s.workspace, ws), "malloc workspace");
  }
  Check(lt.cusparseLtMatmulAlgGetAttribute(&lt.handle, &s.sel, CUSPARSELT_MATMUL_ALG_CONFIG_ID,
                                           &alg_id_, sizeof(alg_id_)),
        "algorithm id");
  CheckCuda(cudaDeviceSynchronize(), "search");
}

CusparseLtGemm::~CusparseLtGemm() {
  Api& lt = Lib();
  Impl& s = *impl_;
  cudaDeviceSynchronize();
  if (s.have_plan) lt.cusparseLtMatmulPlanDestroy(&s.plan);
  if (s.have_sel) lt.cusparseLtMatmulAlgSelectionDestroy(&s.sel);
  if (s.have_descs) {
    lt.cusparseLtMatDescriptorDestroy(&s.a);
    lt.cusparseLtMatDescriptorDestroy(&s.b);
    lt.cusparseLtMatDescriptorDestroy(&s.c);
  }
  for (void* p : s.compressed) cudaFree(p);
  cudaFree(s.workspace);
  cudaFree(pruned_);
}

void CusparseLtGemm::Run(int i, cudaStream_t stream) {
  Api& lt = Lib();
  Impl& s = *impl_;
  const float alpha = 1.f, beta = 0.f;
  Check(lt.cusparseLtMatmul(&lt.handle, &s.plan, &alpha,
                            s.compressed[static_cast<size_t>(i) % s.compressed.size()], s.d_b,
                            &beta, s.d_c, s.d_c, s.workspace, &stream, 1),
        "matmul");
}

#endif  // HINM_HAVE_CUSPARSELT

}  // namespace hinm_bench
