/*
 * hinm -- Hierarchical N:M (HiNM) sparse GEMM for NVIDIA Sparse Tensor Cores.
 *
 * The stable C API. Pure C99: include it from C, C++, Rust (bindgen) or any
 * FFI. It does not include the CUDA runtime; cudaStream_t is forward-declared.
 *
 * Conventions
 *  - Every function returns hinmStatus_t. On failure a message with detail is
 *    kept per thread: hinmGetLastErrorMessage().
 *  - Handles are pointers to incomplete structs. Passing NULL or a destroyed
 *    handle returns HINM_STATUS_NOT_INITIALIZED, never a crash.
 *  - Matrices are row-major with an explicit leading dimension (elements).
 *  - GPU functions take device pointers and an explicit stream, and are
 *    asynchronous with respect to the host unless stated.
 *  - An empty problem (n == 0) returns HINM_STATUS_SUCCESS and does nothing.
 *  - Threads: one hinmHandle_t per thread (like cuBLAS). A descriptor is
 *    read-only after creation and may be shared by threads and streams.
 *
 * Typical use
 *     hinmHandle_t h;  hinmCreate(&h);
 *     hinmPruneConfig_t cfg;  hinmPruneConfigInit(&cfg);
 *     cfg.vector_sparsity = 0.5;                 // 50% columns + 2:4 = 75%
 *     hinmDescriptor_t w;
 *     hinmCreateDescriptor(h, &w, M, K, weights, HINM_R_32F, K, NULL, 0, &cfg);
 *     hinmSpMM(h, w, N, &one, dB, HINM_ORDER_FEATURE_MAJOR, N, &zero,
 *              dC, HINM_ORDER_FEATURE_MAJOR, N, NULL, HINM_R_16F,
 *              HINM_ROWS_ORIGINAL, NULL, 0, stream);
 *     hinmDestroyDescriptor(w);  hinmDestroy(h);
 */
#ifndef HINM_HINM_H_
#define HINM_HINM_H_

#include <stddef.h>
#include <stdint.h>

#define HINM_VERSION_MAJOR 0
#define HINM_VERSION_MINOR 1
#define HINM_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define HINM_VERSION \
  (HINM_VERSION_MAJOR * 10000 + HINM_VERSION_MINOR * 100 + HINM_VERSION_PATCH)

#if defined(_WIN32)
#define HINM_API __declspec(dllexport)
#elif defined(__GNUC__)
#define HINM_API __attribute__((visibility("default")))
#else
#define HINM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Forward declaration: the CUDA runtime is not included. */
struct CUstream_st;
typedef struct CUstream_st* cudaStream_t;

/* ---------------------------------------------------------------- status */

/* Append-only: values never change meaning. */
typedef enum {
  HINM_STATUS_SUCCESS = 0,
  HINM_STATUS_NOT_INITIALIZED = 1,  /* NULL or destroyed handle/descriptor */
  HINM_STATUS_INVALID_VALUE = 2,    /* an argument is out of range */
  HINM_STATUS_NULL_POINTER = 3,     /* a required pointer is NULL */
  HINM_STATUS_SIZE_OVERFLOW = 4,    /* sizes whose product overflows */
  HINM_STATUS_NOT_SUPPORTED = 5,    /* valid, but no path implements it */
  HINM_STATUS_ALLOC_FAILED = 6,     /* host or device allocation failed */
  HINM_STATUS_NO_DEVICE = 7,        /* no CUDA device (or driver) present */
  HINM_STATUS_CUDA_ERROR = 8,       /* a CUDA runtime call failed */
  HINM_STATUS_CUBLAS_ERROR = 9,     /* a cuBLAS call failed */
  HINM_STATUS_IO_ERROR = 10,        /* file could not be opened/read/written */
  HINM_STATUS_CORRUPT_FILE = 11,    /* truncated, bad magic, bad checksum */
  HINM_STATUS_VERSION_MISMATCH = 12, /* file written by an unknown format version */
  HINM_STATUS_CANCELLED = 13,       /* a progress callback asked to stop */
  HINM_STATUS_INTERNAL_ERROR = 14,  /* a bug: please report */
  HINM_STATUS_INVALID_DTYPE = 15,   /* a data type not accepted here */
  HINM_STATUS_MISALIGNED = 16       /* a pointer or leading dim breaks alignment */
} hinmStatus_t;

/* "HINM_STATUS_SUCCESS", ...; "HINM_STATUS_UNKNOWN" for other values. */
HINM_API const char* hinmGetErrorName(hinmStatus_t status);
/* One sentence describing the status. Never NULL. */
HINM_API const char* hinmGetErrorString(hinmStatus_t status);
/* Detail of the last failure on the calling thread ("" if none). Every hinm
 * call except these four query functions resets it: "" after a success,
 * "<function>: <detail>" after a failure, so it always describes the
 * thread's most recent call. The pointer stays valid until the next hinm
 * call on this thread. */
HINM_API const char* hinmGetLastErrorMessage(void);

/* HINM_VERSION of the library actually loaded. */
HINM_API int hinmGetVersion(void);

/* ------------------------------------------------------------------ types */

typedef enum {
  HINM_R_16F = 0,  /* IEEE float16 */
  HINM_R_16BF = 1, /* bfloat16 */
  HINM_R_32F = 2   /* float32 (dense inputs and host reference only) */
} hinmDataType_t;

/* Storage order of an activation or output matrix with N tokens. */
typedef enum {
  /* K x N (B) or M x N (C) row-major: each feature a contiguous row. The
   * fast path: the kernel's row gather reads contiguous rows. */
  HINM_ORDER_FEATURE_MAJOR = 0,
  /* N x K (B) or N x M (C) row-major: what frameworks hold (tokens x
   * features). */
  HINM_ORDER_TOKEN_MAJOR = 1
} hinmOrder_t;

/* Which row order hinmSpMM writes when the descriptor has an output
 * permutation (from 2CP). */
typedef enum {
  HINM_ROWS_ORIGINAL = 0, /* row i of C is output channel i (default) */
  HINM_ROWS_PERMUTED = 1  /* row p of C is channel perm[p]; the caller folds
                             perm into the next layer (hinmGetRowPermutation) */
} hinmRowOrder_t;

/* Which axes 2CP permutes before pruning. */
typedef enum {
  HINM_PERMUTE_NONE = 0,
  HINM_PERMUTE_OUTPUT = 1, /* rows into tiles */
  HINM_PERMUTE_INPUT = 2,  /* kept columns into 2:4 groups, per tile */
  HINM_PERMUTE_BOTH = 3    /* full 2CP */
} hinmPermute_t;

typedef enum {
  HINM_PERMUTE_ALGO_DEFAULT = 0,   /* hinm's search (recommended) */
  HINM_PERMUTE_ALGO_PUBLISHED = 1  /* the published 2CP, faithfully (baseline) */
} hinmPermuteAlgo_t;

/* Which sparse kernel runs an SpMM (a plan hinmSpMMSearch stored). */
typedef enum {
  HINM_KERNEL_AUTO = 0,     /* the planner's choice */
  HINM_KERNEL_MMA_SP = 1,   /* mma.sp.sync (sm_80 and later) */
  HINM_KERNEL_WGMMA_SP = 2  /* wgmma.sp (sm_90a) */
} hinmKernel_t;

/* Progress of a long operation, fraction in [0, 1]. Return nonzero to cancel
 * (the operation then returns HINM_STATUS_CANCELLED). It may be called from
 * the library's worker threads, but never concurrently: calls are serialised
 * and the fractions they report never decrease. */
typedef int (*hinmProgressCallback_t)(double fraction, void* user_data);

/* Opaque handles. */
typedef struct hinmContext* hinmHandle_t;
typedef struct hinmMatrix* hinmDescriptor_t;

/* ---------------------------------------------------------- configuration */

/* How to prune and compress. Initialise with hinmPruneConfigInit, then set
 * fields. struct_size lets later versions append fields compatibly. */
typedef struct {
  size_t struct_size;         /* = sizeof(hinmPruneConfig_t), set by Init */
  int32_t tile_rows;          /* V: multiple of 16 in [16, 256]. Default 128 */
  double vector_sparsity;     /* fraction of columns pruned per tile, [0, 1).
                                 K_keep = K * (1 - s) rounded to a multiple
                                 of 4 (at least 4). Default 0.5 (=> 75%). */
  int64_t kept_cols;          /* explicit K_keep (multiple of 4); 0 = derive
                                 from vector_sparsity. Default 0 */
  hinmDataType_t value_type;  /* HINM_R_16F or HINM_R_16BF. Default 16F */
  hinmPermute_t permute;      /* 2CP axes. Default HINM_PERMUTE_NONE */
  hinmPermuteAlgo_t permute_algo; /* Default HINM_PERMUTE_ALGO_DEFAULT */
  uint64_t seed;              /* 2CP's random choices. Default 0 */
  int32_t permute_max_failures; /* 2CP: stop after this many rejected
                                   moves; 0 = library default */
  const int32_t* permute_schedule; /* 2CP rows sampled per tile in each round,
                                      e.g. {8,1,4,1,2,1,1}; NULL = default */
  int32_t permute_schedule_len;
  int32_t num_threads;        /* CPU threads; 0 = all cores */
  hinmProgressCallback_t progress; /* may be NULL */
  void* progress_user_data;
} hinmPruneConfig_t;

/* Fills *config with the defaults above. */
HINM_API hinmStatus_t hinmPruneConfigInit(hinmPruneConfig_t* config);

/* What a descriptor holds. Filled by hinmGetDescriptorInfo. */
typedef struct {
  int64_t rows;                /* M */
  int64_t cols;                /* K */
  int32_t tile_rows;           /* V */
  int64_t kept_cols;           /* K_keep */
  int64_t num_tiles;           /* ceil(M / V) */
  hinmDataType_t value_type;
  double sparsity;             /* fraction of the M*K weights that are zero
                                  by construction (1 - kept/(M*K)) */
  double vector_sparsity;      /* 1 - K_keep / K */
  double retained_saliency;    /* kept score / total score, in [0, 1] */
  int64_t compressed_bytes;    /* values + metadata + indices + permutation */
  int64_t dense_bytes;         /* M * K * sizeof(value_type) */
  double compression_ratio;    /* dense_bytes / compressed_bytes */
  int32_t has_row_permutation; /* 1 if 2CP permuted the output axis */
  int32_t has_column_permutation; /* 1 if 2CP permuted within tiles */
} hinmDescriptorInfo_t;

/* One plan hinmSpMMSearch stored in a descriptor (saved and loaded with it):
 * the problem it was found for and how hinmSpMM then runs that problem.
 * Filled by hinmGetTunedPlans. */
typedef struct {
  char device_name[256]; /* the GPU model: cudaDeviceProp::name, NUL-terminated */
  int32_t cc_major;      /* its compute capability */
  int32_t cc_minor;
  int32_t sm_count;      /* its SMs (a MIG slice has fewer: another model) */
  int64_t n;             /* tokens */
  hinmOrder_t b_order;
  hinmOrder_t c_order;
  hinmKernel_t kernel;   /* HINM_KERNEL_AUTO: the planner's */
  char config[32];       /* mma.sp tile config, e.g. "mid_128x64"; "": the planner's */
  int32_t splits;        /* K split of the mma.sp kernel; 0: the planner's */
  int32_t cluster;       /* 1: the splits are summed in a cluster's shared memory */
} hinmTunedPlan_t;

/* ---------------------------------------------------------- library handle */

/* Creates a library handle. Works without a GPU (CPU paths only). */
HINM_API hinmStatus_t hinmCreate(hinmHandle_t* handle);
/* Destroys it; NULL is HINM_STATUS_NOT_INITIALIZED. */
HINM_API hinmStatus_t hinmDestroy(hinmHandle_t handle);
/* 1 if a CUDA device usable by hinm is present, else 0. */
HINM_API hinmStatus_t hinmHasDevice(hinmHandle_t handle, int32_t* has_device);

/* Autotuning (off by default), like a framework's "benchmark mode": with
 * on = 1, hinmSpMM on this handle runs hinmSpMMSearch instead whenever the
 * descriptor holds no plan yet for the call's problem (this GPU model, n,
 * b_order, c_order) and `stream` is not being captured into a CUDA graph.
 * That first call per problem is then synchronous and takes a few ms more;
 * later calls (on any handle) run the stored plan. Inside a capture an
 * untuned problem runs the planner's plan, as with autotuning off.
 * on must be 0 or 1 (else INVALID_VALUE). */
HINM_API hinmStatus_t hinmSetAutotune(hinmHandle_t handle, int32_t on);
HINM_API hinmStatus_t hinmGetAutotune(hinmHandle_t handle, int32_t* on);

/* ------------------------------------------------------------ descriptors */

/* Prunes dense host weights to HiNM and compresses them.
 * @param[in]  handle     library handle
 * @param[out] desc       the new descriptor (unchanged on failure)
 * @param[in]  rows, cols M, K (> 0)
 * @param[in]  weights    host, M x K row-major, of weight_type
 * @param[in]  weight_type HINM_R_32F, HINM_R_16F or HINM_R_16BF
 * @param[in]  ldw        leading dimension of weights (>= K)
 * @param[in]  saliency   host float32 M x K non-negative scores, or NULL for |W|
 * @param[in]  lds        leading dimension of saliency (>= K; ignored if NULL)
 * @param[in]  config     options, or NULL for the defaults
 * Statuses: SUCCESS, NOT_INITIALIZED, NULL_POINTER, INVALID_VALUE (sizes,
 * ld, config ranges, NaN/Inf/negative inputs), SIZE_OVERFLOW, INVALID_DTYPE,
 * ALLOC_FAILED, CANCELLED. */
HINM_API hinmStatus_t hinmCreateDescriptor(hinmHandle_t handle,
                                           hinmDescriptor_t* desc,
                                           int64_t rows, int64_t cols,
                                           const void* weights,
                                           hinmDataType_t weight_type,
                                           int64_t ldw,
                                           const float* saliency, int64_t lds,
                                           const hinmPruneConfig_t* config);

/* Frees host and device memory of the descriptor. */
HINM_API hinmStatus_t hinmDestroyDescriptor(hinmDescriptor_t desc);

/* Fills *info (info_size = sizeof(hinmDescriptorInfo_t) of the caller). */
HINM_API hinmStatus_t hinmGetDescriptorInfo(hinmDescriptor_t desc,
                                            hinmDescriptorInfo_t* info,
                                            size_t info_size);

/* Output permutation: perm[p] = original row of compressed row p, for
 * p < M (count must be >= M). The identity if 2CP did not permute rows. */
HINM_API hinmStatus_t hinmGetRowPermutation(hinmDescriptor_t desc,
                                            int32_t* perm, int64_t count);

/* Kept input columns of every tile in the tile's order (2CP's input order
 * folded in): idx[t * K_keep + s], count >= num_tiles * K_keep. Entries are
 * in [0, K), or -1 for the padding slots when K_keep > K. */
HINM_API hinmStatus_t hinmGetColumnIndices(hinmDescriptor_t desc,
                                           int32_t* idx, int64_t count);

/* The plans hinmSpMMSearch stored in desc (or a loaded file brought), in
 * ascending problem order (GPU model, n, b_order, c_order), one snapshot:
 * *count is how many there are, and the first min(*count, capacity) are
 * written to plans, each plan_size bytes apart (plan_size =
 * sizeof(hinmTunedPlan_t); a smaller one gets each struct's first plan_size
 * bytes). plans may be NULL when capacity is 0 (a count query).
 * Statuses: SUCCESS, NOT_INITIALIZED, NULL_POINTER, INVALID_VALUE
 * (capacity < 0, plan_size 0). */
HINM_API hinmStatus_t hinmGetTunedPlans(hinmDescriptor_t desc,
                                        hinmTunedPlan_t* plans,
                                        int64_t capacity, size_t plan_size,
                                        int64_t* count);

/* Folds a producer layer's output permutation into this descriptor's input
 * gather, for chains of layers kept in 2CP's permuted order: if the previous
 * layer ran hinmSpMM with HINM_ROWS_PERMUTED (row p of its output = channel
 * perm[p], perm from its hinmGetRowPermutation), *folded multiplies that
 * output directly (B row p = input channel perm[p]) and gives the same result
 * as desc on the output in original order. Only the column indices change
 * (once, on the host); a new descriptor is returned, desc is untouched.
 * @param[in]  handle  library handle
 * @param[out] folded  the new descriptor (unchanged on failure)
 * @param[in]  desc    the consuming layer (K = its cols)
 * @param[in]  perm    host, K entries, a permutation of [0, K)
 * @param[in]  count   entries of perm: must equal K
 * Statuses: SUCCESS, NOT_INITIALIZED, NULL_POINTER, INVALID_VALUE (count,
 * an entry out of range or repeated), ALLOC_FAILED. */
HINM_API hinmStatus_t hinmFoldInputPermutation(hinmHandle_t handle,
                                               hinmDescriptor_t* folded,
                                               hinmDescriptor_t desc,
                                               const int32_t* perm,
                                               int64_t count);

/* The pruned dense matrix (M x K, original row order) into host memory. */
HINM_API hinmStatus_t hinmDecompress(hinmDescriptor_t desc, void* dense,
                                     hinmDataType_t type, int64_t ld);

/* Copies the compressed arrays to the current CUDA device now (hinmSpMM
 * otherwise does it on first use). Synchronous. */
HINM_API hinmStatus_t hinmDescriptorToDevice(hinmHandle_t handle,
                                             hinmDescriptor_t desc,
                                             cudaStream_t stream);

/* -------------------------------------------------------------- save/load */

/* Versioned binary file (magic, version, parameters, checksums), with the
 * plans hinmSpMMSearch stored in the descriptor (docs/format.md). */
HINM_API hinmStatus_t hinmSaveDescriptor(hinmDescriptor_t desc, const char* path);
HINM_API hinmStatus_t hinmLoadDescriptor(hinmHandle_t handle,
                                         hinmDescriptor_t* desc,
                                         const char* path);
/* The same format in memory: size query, then write; and read back. A
 * search storing a plan between the two calls makes the bytes longer:
 * hinmSerialize then returns INVALID_VALUE (size too small). */
HINM_API hinmStatus_t hinmSerializedSize(hinmDescriptor_t desc, size_t* size);
HINM_API hinmStatus_t hinmSerialize(hinmDescriptor_t desc, void* buffer,
                                    size_t size);
HINM_API hinmStatus_t hinmDeserialize(hinmHandle_t handle,
                                      hinmDescriptor_t* desc,
                                      const void* buffer, size_t size);

/* ---------------------------------------------------------------- compute */

/* C = alpha * A * B + beta * C (+ bias), A the descriptor (M x K).
 * GPU: b, c, bias and workspace are device pointers; asynchronous on stream.
 * @param[in] n        tokens (columns of B and C); 0 returns at once
 * @param[in] alpha, beta  host scalars
 * @param[in] b        B: K x N (FEATURE_MAJOR, ldb >= N) or N x K
 *                     (TOKEN_MAJOR, ldb >= K), of io_type
 * @param[in,out] c    C: M x N (FEATURE_MAJOR, ldc >= N) or N x M
 *                     (TOKEN_MAJOR, ldc >= M), of io_type
 * @param[in] bias     M values of io_type added to every token, or NULL
 * @param[in] io_type  type of b, c, bias: the descriptor's value_type
 * @param[in] rows     HINM_ROWS_ORIGINAL or HINM_ROWS_PERMUTED
 * @param[in] workspace, workspace_size  a device buffer of at least
 *                     hinmSpMMWorkspaceSize(...) bytes; or NULL and 0 to let
 *                     hinm take it from CUDA's stream-ordered allocator
 *                     (cudaMallocAsync/cudaFreeAsync on `stream`)
 * Statuses: SUCCESS, NOT_INITIALIZED, NULL_POINTER, INVALID_VALUE,
 * SIZE_OVERFLOW, INVALID_DTYPE, MISALIGNED (pointers must be 16-byte
 * aligned and ldb/ldc multiples of 8 elements for the fast path; other B
 * is packed into the workspace first, except at n == 1 on sm_90, where B
 * is read in place at any stride and 2-byte alignment),
 * NO_DEVICE, NOT_SUPPORTED, CUDA_ERROR. */
HINM_API hinmStatus_t hinmSpMM(hinmHandle_t handle, hinmDescriptor_t a,
                               int64_t n, const float* alpha,
                               const void* b, hinmOrder_t b_order, int64_t ldb,
                               const float* beta,
                               void* c, hinmOrder_t c_order, int64_t ldc,
                               const void* bias, hinmDataType_t io_type,
                               hinmRowOrder_t rows, void* workspace,
                               size_t workspace_size, cudaStream_t stream);

/* hinmSpMM, after finding the fastest way to run this problem on this GPU
 * (like cusparseLtMatmulSearch). The planner picks a kernel, tile config and
 * K split from cost models that can miss the fastest plan (H100, 4096x11008
 * at 75%: the search's split is 10% faster at N = 1, 8% at N = 16; at
 * N = 128 another tile config is up to 19% faster on some layers); this
 * times the plans the kernels could use for it (the planner's first, each
 * as CUDA graphs of 20 calls, medians of 5 interleaved rounds; a few ms at
 * decode sizes; the calls rotate over temporary copies of the weights, up to 2.5x the
 * L2 cache in all, so that they read weights from DRAM as a model's layers
 * do) and stores the fastest in the descriptor. From then on hinmSpMM on
 * this descriptor with the same n, b_order and c_order on the same GPU model
 * (name, compute capability and SM count: any card of the model, not a MIG
 * slice of it) runs it; another search replaces it. hinmSaveDescriptor and
 * hinmSerialize keep it, hinmLoadDescriptor and hinmDeserialize bring it
 * back (docs/format.md, version 2); hinmFoldInputPermutation does not carry
 * it over.
 * Where there is nothing to choose (a large n on sm_90, where only the
 * wgmma.sp kernel suits it, or a decode grid that fills the GPU unsplit)
 * nothing is timed.
 * Arguments and statuses as hinmSpMM, and C ends as hinmSpMM leaves it (C is
 * saved and restored around the timed calls when beta != 0). A workspace
 * passed here limits the search to plans that fit it; with NULL and 0 any
 * plan may win: query hinmSpMMWorkspaceSize again before sizing one.
 * Synchronous: waits for `stream`, times on a stream of its own, then
 * enqueues the product on `stream`. NOT_SUPPORTED while `stream` is being
 * captured into a CUDA graph (search first, then capture hinmSpMM). */
HINM_API hinmStatus_t hinmSpMMSearch(hinmHandle_t handle, hinmDescriptor_t a,
                                     int64_t n, const float* alpha,
                                     const void* b, hinmOrder_t b_order,
                                     int64_t ldb, const float* beta,
                                     void* c, hinmOrder_t c_order, int64_t ldc,
                                     const void* bias, hinmDataType_t io_type,
                                     hinmRowOrder_t rows, void* workspace,
                                     size_t workspace_size,
                                     cudaStream_t stream);

/* Device workspace hinmSpMM needs for this problem (may be 0): for the plan
 * hinmSpMMSearch stored, where one was. */
HINM_API hinmStatus_t hinmSpMMWorkspaceSize(hinmHandle_t handle,
                                            hinmDescriptor_t a, int64_t n,
                                            hinmOrder_t b_order,
                                            hinmOrder_t c_order,
                                            size_t* size);

/* The same product on the CPU (the reference; fp32 accumulation): host
 * pointers, io_type HINM_R_32F, HINM_R_16F or HINM_R_16BF. Synchronous. */
HINM_API hinmStatus_t hinmSpMMHost(hinmHandle_t handle, hinmDescriptor_t a,
                                   int64_t n, const float* alpha,
                                   const void* b, hinmOrder_t b_order,
                                   int64_t ldb, const float* beta,
                                   void* c, hinmOrder_t c_order, int64_t ldc,
                                   const void* bias, hinmDataType_t io_type,
                                   hinmRowOrder_t rows);

/* Dense C = alpha * A * B + beta * C through cuBLAS, for comparison and as
 * the fallback: A device M x K row-major (lda >= K); B and C as in hinmSpMM.
 * type HINM_R_16F or HINM_R_16BF (fp32 accumulation). */
HINM_API hinmStatus_t hinmDenseGemm(hinmHandle_t handle, int64_t m, int64_t n,
                                    int64_t k, const float* alpha,
                                    const void* a, int64_t lda,
                                    const void* b, hinmOrder_t b_order,
                                    int64_t ldb, const float* beta, void* c,
                                    hinmOrder_t c_order, int64_t ldc,
                                    hinmDataType_t type, cudaStream_t stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HINM_HINM_H_ */
