// hinm._hinm: the pybind11 layer over the stable C API (c_api/include/hinm/hinm.h).
//
// Thin on purpose: every call forwards to one hinm* function, with the GIL
// released around the long ones (pruning, SpMM, GEMM, file I/O). Python-side
// argument checking (dtypes, shapes, layouts) lives in hinm/_matrix.py and
// hinm/_gpu.py; errors from the C API come back as the Python exception made
// by the factory hinm._errors registers (status code + name + the library's
// message). No algorithm lives here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hinm/hinm.h"

namespace py = pybind11;

namespace {

// ------------------------------------------------------------------ errors

// A failed hinm* call: the status and the thread's last error message, read
// right after the call (the message is only valid until the next hinm call).
class StatusError : public std::runtime_error {
 public:
  StatusError(hinmStatus_t status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  hinmStatus_t status() const { return status_; }

 private:
  hinmStatus_t status_;
};

void Check(hinmStatus_t status) {
  if (status == HINM_STATUS_SUCCESS) return;
  const char* detail = hinmGetLastErrorMessage();
  throw StatusError(status, (detail != nullptr && detail[0] != '\0')
                                ? std::string(detail)
                                : std::string(hinmGetErrorString(status)));
}

// (status, name, message) -> exception instance; set once by hinm._errors.
// Deliberately leaked: it must outlive every call, including at shutdown.
PyObject* g_error_factory = nullptr;

void SetErrorFactory(py::object factory) {
  Py_XDECREF(g_error_factory);
  g_error_factory = factory.release().ptr();
}

void TranslateStatusError(const StatusError& e) {
  if (g_error_factory == nullptr) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    return;
  }
  py::object exc = py::reinterpret_borrow<py::object>(g_error_factory)(
      static_cast<int>(e.status()), hinmGetErrorName(e.status()), e.what());
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
}

// Raw addresses travel from Python (data_ptr(), __cuda_array_interface__) as
// integers; the stream likewise (0 = legacy default, 1/2 = the CUDA
// cudaStreamLegacy/cudaStreamPerThread handles, as in the CAI spec).
template <typename T>
T* AsPointer(std::uintptr_t address) {
  return reinterpret_cast<T*>(address);
}

// A NUL-terminated char field of a C struct as str (the bytes up to the NUL,
// at most `size`; invalid UTF-8 replaced rather than raised).
py::str CString(const char* field, size_t size) {
  size_t len = 0;
  while (len < size && field[len] != '\0') ++len;
  PyObject* s = PyUnicode_DecodeUTF8(field, static_cast<Py_ssize_t>(len), "replace");
  if (s == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

// ------------------------------------------------------------------ handle

// One library handle; hinm keeps one per Python thread (like cuBLAS).
class Handle {
 public:
  Handle() { Check(hinmCreate(&handle_)); }
  ~Handle() {
    if (handle_ != nullptr) hinmDestroy(handle_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hinmHandle_t get() const { return handle_; }

  bool HasDevice() const {
    int32_t has = 0;
    Check(hinmHasDevice(handle_, &has));
    return has != 0;
  }

  // on: 0 or 1 (hinmSetAutotune checks it). The package's set_autotune is
  // process-wide; hinm/_handle.py applies it to each thread's handle.
  void SetAutotune(int32_t on) { Check(hinmSetAutotune(handle_, on)); }

  bool GetAutotune() const {
    int32_t on = 0;
    Check(hinmGetAutotune(handle_, &on));
    return on != 0;
  }

 private:
  hinmHandle_t handle_ = nullptr;
};

// ---------------------------------------------------------------- progress

// Ctrl-C during a prune. The library may call the progress callback from its
// worker threads (hinm.h), where PyErr_CheckSignals sees nothing: Python only
// handles signals on the main thread. So while a prune runs, SIGINT goes to
// this flag instead (any thread can read it), and KeyboardInterrupt is raised
// once the call has returned.
std::atomic<bool> g_sigint{false};
extern "C" void OnSigint(int) { g_sigint.store(true); }

class SigintGuard {  // construct and destroy with the GIL held
 public:
  SigintGuard() {
    // Only the main thread may change signal handlers.
    const py::module_ threading = py::module_::import("threading");
    active_ = threading.attr("current_thread")().is(threading.attr("main_thread")());
    if (!active_) return;
    g_sigint.store(false);
    previous_ = PyOS_setsig(SIGINT, OnSigint);
  }
  ~SigintGuard() {
    if (active_) PyOS_setsig(SIGINT, previous_);
  }
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;
  bool interrupted() const { return active_ && g_sigint.load(); }

 private:
  bool active_ = false;
  PyOS_sighandler_t previous_ = nullptr;
};

// Bridges hinmPruneConfig_t::progress to Python: checks for Ctrl-C and calls
// the user's callable (with the GIL held). Either one cancels the prune; the
// Python exception is re-raised once the C call has returned.
struct ProgressBridge {
  py::object callback;  // None or callable(fraction) -> truthy to cancel
  std::optional<py::error_already_set> error;
  bool cancelled_by_callback = false;
};

int ProgressTrampoline(double fraction, void* user_data) {
  auto* bridge = static_cast<ProgressBridge*>(user_data);
  if (g_sigint.load()) return 1;  // KeyboardInterrupt after the call
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) {
    bridge->error.emplace();  // fetches a pending KeyboardInterrupt
    return 1;
  }
  if (bridge->callback.is_none()) return 0;
  try {
    if (py::bool_(bridge->callback(fraction))) {
      bridge->cancelled_by_callback = true;
      return 1;
    }
  } catch (py::error_already_set& e) {
    bridge->error.emplace(std::move(e));
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------- matrix

class Descriptor {
 public:
  explicit Descriptor(hinmDescriptor_t desc) : desc_(desc) {}
  ~Descriptor() {
    if (desc_ != nullptr) hinmDestroyDescriptor(desc_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;

  hinmDescriptor_t get() const { return desc_; }

  hinmDescriptorInfo_t Info() const {
    hinmDescriptorInfo_t info{};
    Check(hinmGetDescriptorInfo(desc_, &info, sizeof(info)));
    return info;
  }

  py::dict InfoDict() const {
    const hinmDescriptorInfo_t info = Info();
    py::dict d;
    d["rows"] = info.rows;
    d["cols"] = info.cols;
    d["tile_rows"] = info.tile_rows;
    d["kept_cols"] = info.kept_cols;
    d["num_tiles"] = info.num_tiles;
    d["value_type"] = static_cast<int>(info.value_type);
    d["sparsity"] = info.sparsity;
    d["vector_sparsity"] = info.vector_sparsity;
    d["retained_saliency"] = info.retained_saliency;
    d["compressed_bytes"] = info.compressed_bytes;
    d["dense_bytes"] = info.dense_bytes;
    d["compression_ratio"] = info.compression_ratio;
    d["has_row_permutation"] = info.has_row_permutation != 0;
    d["has_column_permutation"] = info.has_column_permutation != 0;
    return d;
  }

  py::array_t<int32_t> RowPermutation() const {
    const hinmDescriptorInfo_t info = Info();
    py::array_t<int32_t> perm(info.rows);
    Check(hinmGetRowPermutation(desc_, perm.mutable_data(), info.rows));
    return perm;
  }

  py::array_t<int32_t> ColumnIndices() const {
    const hinmDescriptorInfo_t info = Info();
    py::array_t<int32_t> idx({info.num_tiles, info.kept_cols});
    Check(hinmGetColumnIndices(desc_, idx.mutable_data(),
                               info.num_tiles * info.kept_cols));
    return idx;
  }

  // hinmGetTunedPlans, one dict per plan in the C order; enums stay ints
  // (hinm._matrix names them). Asked again while a search on another thread
  // adds plans between the count query and the fill.
  py::list TunedPlans() const {
    std::vector<hinmTunedPlan_t> plans;
    int64_t count = 0;
    do {
      plans.resize(static_cast<size_t>(count));
      Check(hinmGetTunedPlans(desc_, plans.data(), count, sizeof(hinmTunedPlan_t),
                              &count));
    } while (static_cast<size_t>(count) > plans.size());
    plans.resize(static_cast<size_t>(count));
    py::list out;
    for (const hinmTunedPlan_t& p : plans) {
      py::dict d;
      d["device_name"] = CString(p.device_name, sizeof(p.device_name));
      d["cc_major"] = p.cc_major;
      d["cc_minor"] = p.cc_minor;
      d["sm_count"] = p.sm_count;
      d["n"] = p.n;
      d["b_order"] = static_cast<int>(p.b_order);
      d["c_order"] = static_cast<int>(p.c_order);
      d["kernel"] = static_cast<int>(p.kernel);
      d["config"] = CString(p.config, sizeof(p.config));
      d["splits"] = p.splits;
      d["cluster"] = p.cluster != 0;
      out.append(std::move(d));
    }
    return out;
  }

  // dtype: HINM_R_32F or HINM_R_16F (numpy has no bfloat16).
  py::array Decompress(int type) const {
    const hinmDescriptorInfo_t info = Info();
    py::array out = type == HINM_R_16F
                        ? py::array(py::dtype("float16"), {info.rows, info.cols})
                        : py::array(py::dtype("float32"), {info.rows, info.cols});
    void* data = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      Check(hinmDecompress(desc_, data, static_cast<hinmDataType_t>(type),
                           info.cols));
    }
    return out;
  }

  void Save(const std::string& path) const {
    py::gil_scoped_release nogil;
    Check(hinmSaveDescriptor(desc_, path.c_str()));
  }

  // A search on another thread may store a plan between the size query and
  // the copy: the file grows, hinmSerialize refuses (INVALID_VALUE) and
  // writes nothing. Measure again and retry while the size keeps growing
  // (plans are only added or replaced), a bounded number of times. The
  // bytes object is written in place, so a multi-GB matrix is held once, and
  // both calls (each a pass over the matrix) run without the GIL.
  py::bytes Serialize() const {
    constexpr int kAttempts = 8;
    size_t size = 0;
    hinmStatus_t status;
    {
      py::gil_scoped_release nogil;
      status = hinmSerializedSize(desc_, &size);
    }
    Check(status);
    for (int attempt = 1;; ++attempt) {
      if (size > static_cast<size_t>(PY_SSIZE_T_MAX)) throw std::bad_alloc();  // MemoryError
      auto out = py::reinterpret_steal<py::bytes>(
          PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size)));
      if (!out) throw py::error_already_set();
      char* const data = PyBytes_AS_STRING(out.ptr());  // no other reference yet
      {
        py::gil_scoped_release nogil;
        status = hinmSerialize(desc_, data, size);
      }
      if (status == HINM_STATUS_SUCCESS) return out;
      try {
        Check(status);  // the message is this thread's last; take it now
      } catch (const StatusError&) {
        size_t now = 0;
        if (attempt < kAttempts && status == HINM_STATUS_INVALID_VALUE &&
            hinmSerializedSize(desc_, &now) == HINM_STATUS_SUCCESS && now > size) {
          size = now;  // the grown file's size: the next attempt's buffer
          continue;
        }
        throw;
      }
    }
  }

  // CPU reference product. b, c (and bias) are numpy arrays whose dtype and
  // shape hinm._matrix has checked; ldb/ldc are in elements.
  void SpMMHost(const Handle& handle, int64_t n, float alpha, const py::array& b,
                int b_order, int64_t ldb, float beta, py::array& c, int c_order,
                int64_t ldc, const py::object& bias, int io_type,
                int rows) const {
    const void* b_ptr = b.data();
    void* c_ptr = c.mutable_data();
    const void* bias_ptr =
        bias.is_none() ? nullptr : bias.cast<py::array>().data();
    py::gil_scoped_release nogil;
    Check(hinmSpMMHost(handle.get(), desc_, n, &alpha, b_ptr,
                       static_cast<hinmOrder_t>(b_order), ldb, &beta, c_ptr,
                       static_cast<hinmOrder_t>(c_order), ldc, bias_ptr,
                       static_cast<hinmDataType_t>(io_type),
                       static_cast<hinmRowOrder_t>(rows)));
  }

  size_t SpMMWorkspaceSize(const Handle& handle, int64_t n, int b_order,
                           int c_order) const {
    size_t size = 0;
    Check(hinmSpMMWorkspaceSize(handle.get(), desc_, n,
                                static_cast<hinmOrder_t>(b_order),
                                static_cast<hinmOrder_t>(c_order), &size));
    return size;
  }

  // GPU product on device pointers, asynchronous on `stream`. search: through
  // hinmSpMMSearch instead (same arguments and result; synchronous, and it
  // stores the fastest K split in the descriptor for later hinmSpMM calls).
  void SpMMDevice(const Handle& handle, int64_t n, float alpha, std::uintptr_t b,
                  int b_order, int64_t ldb, float beta, std::uintptr_t c,
                  int c_order, int64_t ldc, std::uintptr_t bias, int io_type,
                  int rows, std::uintptr_t workspace, size_t workspace_size,
                  std::uintptr_t stream, bool search) const {
    const auto spmm = search ? &hinmSpMMSearch : &hinmSpMM;
    py::gil_scoped_release nogil;
    Check(spmm(handle.get(), desc_, n, &alpha, AsPointer<const void>(b),
               static_cast<hinmOrder_t>(b_order), ldb, &beta, AsPointer<void>(c),
               static_cast<hinmOrder_t>(c_order), ldc, AsPointer<const void>(bias),
               static_cast<hinmDataType_t>(io_type),
               static_cast<hinmRowOrder_t>(rows), AsPointer<void>(workspace),
               workspace_size, AsPointer<struct CUstream_st>(stream)));
  }

  void ToDevice(const Handle& handle, std::uintptr_t stream) const {
    py::gil_scoped_release nogil;
    Check(hinmDescriptorToDevice(handle.get(), desc_,
                                 AsPointer<struct CUstream_st>(stream)));
  }

 private:
  hinmDescriptor_t desc_ = nullptr;
};

// Prunes and compresses host weights (numpy, checked by hinm._matrix).
std::unique_ptr<Descriptor> CreateDescriptor(
    const Handle& handle, const py::array& weights, int weight_type,
    int64_t rows, int64_t cols, int64_t ldw, const py::object& saliency,
    int64_t lds, int tile_rows, double vector_sparsity, int64_t kept_cols,
    int value_type, int permute, int permute_algo, uint64_t seed,
    int max_failures, int num_threads, const py::object& progress) {
  hinmPruneConfig_t config;
  Check(hinmPruneConfigInit(&config));
  config.tile_rows = tile_rows;
  config.vector_sparsity = vector_sparsity;
  config.kept_cols = kept_cols;
  config.value_type = static_cast<hinmDataType_t>(value_type);
  config.permute = static_cast<hinmPermute_t>(permute);
  config.permute_algo = static_cast<hinmPermuteAlgo_t>(permute_algo);
  config.seed = seed;
  config.permute_max_failures = max_failures;
  config.num_threads = num_threads;
  ProgressBridge bridge{progress, std::nullopt, false};
  config.progress = &ProgressTrampoline;
  config.progress_user_data = &bridge;

  const void* w_ptr = weights.data();
  const float* s_ptr = saliency.is_none()
                           ? nullptr
                           : static_cast<const float*>(
                                 saliency.cast<py::array>().data());
  hinmDescriptor_t desc = nullptr;
  hinmStatus_t status;
  bool interrupted = false;
  {
    SigintGuard sigint;
    {
      py::gil_scoped_release nogil;
      status = hinmCreateDescriptor(handle.get(), &desc, rows, cols, w_ptr,
                                    static_cast<hinmDataType_t>(weight_type),
                                    ldw, s_ptr, lds, &config);
    }
    interrupted = sigint.interrupted();
  }
  // Ctrl-C, or a Python exception raised inside the progress callback, wins
  // over the CANCELLED status it caused.
  if (interrupted) {
    if (desc != nullptr) hinmDestroyDescriptor(desc);
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw py::error_already_set();
  }
  if (bridge.error.has_value()) throw py::error_already_set(*bridge.error);
  Check(status);
  return std::make_unique<Descriptor>(desc);
}

std::unique_ptr<Descriptor> LoadDescriptor(const Handle& handle,
                                           const std::string& path) {
  hinmDescriptor_t desc = nullptr;
  {
    py::gil_scoped_release nogil;
    Check(hinmLoadDescriptor(handle.get(), &desc, path.c_str()));
  }
  return std::make_unique<Descriptor>(desc);
}

std::unique_ptr<Descriptor> DeserializeDescriptor(const Handle& handle,
                                                  const py::bytes& data) {
  const std::string_view view(data);  // borrowed: `data` outlives the call
  hinmDescriptor_t desc = nullptr;
  {
    py::gil_scoped_release nogil;
    Check(hinmDeserialize(handle.get(), &desc, view.data(), view.size()));
  }
  return std::make_unique<Descriptor>(desc);
}

// hinmFoldInputPermutation: a new descriptor reading its input in `perm`'s
// order (K int32 entries; validated by the C API).
std::unique_ptr<Descriptor> FoldInputPermutation(
    const Handle& handle, const Descriptor& desc,
    const py::array_t<int32_t, py::array::c_style | py::array::forcecast>& perm) {
  hinmDescriptor_t folded = nullptr;
  const int32_t* p = perm.data();
  const int64_t count = perm.size();
  {
    py::gil_scoped_release nogil;
    Check(hinmFoldInputPermutation(handle.get(), &folded, desc.get(), p, count));
  }
  return std::make_unique<Descriptor>(folded);
}

void DenseGemm(const Handle& handle, int64_t m, int64_t n, int64_t k,
               float alpha, std::uintptr_t a, int64_t lda, std::uintptr_t b,
               int b_order, int64_t ldb, float beta, std::uintptr_t c,
               int c_order, int64_t ldc, int type, std::uintptr_t stream) {
  py::gil_scoped_release nogil;
  Check(hinmDenseGemm(handle.get(), m, n, k, &alpha, AsPointer<const void>(a),
                      lda, AsPointer<const void>(b),
                      static_cast<hinmOrder_t>(b_order), ldb, &beta,
                      AsPointer<void>(c), static_cast<hinmOrder_t>(c_order),
                      ldc, static_cast<hinmDataType_t>(type),
                      AsPointer<struct CUstream_st>(stream)));
}

// ------------------------------------------------------------------ DLPack

// The DLPack ABI (dlpack.h v0.8, the "dltensor" capsule), declared here
// because it is a stable C struct layout and no header ships with numpy.
struct DLDevice {
  int32_t device_type;  // 1 = CPU, 2 = CUDA, 3 = CUDA host, 13 = CUDA managed
  int32_t device_id;
};
struct DLDataType {
  uint8_t code;  // 0 int, 1 uint, 2 float, 4 bfloat
  uint8_t bits;
  uint16_t lanes;
};
struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // elements; NULL means compact row-major
  uint64_t byte_offset;
};
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor*);
};

// Takes ownership of a "dltensor" capsule (renaming it "used_dltensor", as
// the protocol asks of a consumer) and calls the producer's deleter when
// this object dies. hinm._gpu keeps it alive for the duration of a call.
class DLPackTensor {
 public:
  explicit DLPackTensor(const py::capsule& capsule) {
    if (std::string(capsule.name() ? capsule.name() : "") != "dltensor") {
      throw py::value_error(
          "expected an unconsumed DLPack capsule named 'dltensor'");
    }
    managed_ = static_cast<DLManagedTensor*>(
        PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
    if (managed_ == nullptr) throw py::error_already_set();
    if (PyCapsule_SetName(capsule.ptr(), "used_dltensor") != 0) {
      throw py::error_already_set();
    }
  }
  ~DLPackTensor() {
    if (managed_ != nullptr && managed_->deleter != nullptr) {
      managed_->deleter(managed_);
    }
  }
  DLPackTensor(const DLPackTensor&) = delete;
  DLPackTensor& operator=(const DLPackTensor&) = delete;

  std::uintptr_t data_ptr() const {
    const DLTensor& t = managed_->dl_tensor;
    return reinterpret_cast<std::uintptr_t>(t.data) + t.byte_offset;
  }
  int device_type() const { return managed_->dl_tensor.device.device_type; }
  int device_id() const { return managed_->dl_tensor.device.device_id; }
  // "float16", "bfloat16", "float32", or e.g. "int8" for the rest.
  std::string dtype() const {
    const DLDataType d = managed_->dl_tensor.dtype;
    if (d.lanes != 1) return "vector";
    switch (d.code) {
      case 2: return "float" + std::to_string(d.bits);
      case 4: return "bfloat" + std::to_string(d.bits);
      case 0: return "int" + std::to_string(d.bits);
      case 1: return "uint" + std::to_string(d.bits);
      default: return "code" + std::to_string(d.code);
    }
  }
  py::tuple shape() const {
    const DLTensor& t = managed_->dl_tensor;
    py::tuple s(t.ndim);
    for (int i = 0; i < t.ndim; ++i) s[i] = t.shape[i];
    return s;
  }
  // In elements; None for compact row-major.
  py::object strides() const {
    const DLTensor& t = managed_->dl_tensor;
    if (t.strides == nullptr) return py::none();
    py::tuple s(t.ndim);
    for (int i = 0; i < t.ndim; ++i) s[i] = t.strides[i];
    return py::object(std::move(s));
  }

 private:
  DLManagedTensor* managed_ = nullptr;
};

}  // namespace

PYBIND11_MODULE(_hinm, m) {
  m.doc() = "Low-level bindings of the hinm C API; use the `hinm` package.";

  // The version of the header this extension was compiled against; the
  // wheel's version is parsed from the same macros (setup.py).
  m.attr("__version__") = std::to_string(HINM_VERSION_MAJOR) + "." +
                          std::to_string(HINM_VERSION_MINOR) + "." +
                          std::to_string(HINM_VERSION_PATCH);
  m.attr("HEADER_VERSION") = HINM_VERSION;

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      TranslateStatusError(e);
    }
  });
  m.def("_set_error_factory", &SetErrorFactory,
        "Registers callable(status, name, message) -> exception.");
  m.def("library_version", [] { return hinmGetVersion(); },
        "HINM_VERSION of the libhinm actually loaded.");
  m.def("status_name",
        [](int status) {
          return std::string(hinmGetErrorName(static_cast<hinmStatus_t>(status)));
        });

  py::class_<Handle>(m, "Handle")
      .def(py::init<>())
      .def("has_device", &Handle::HasDevice)
      .def("set_autotune", &Handle::SetAutotune, py::arg("on"))
      .def("get_autotune", &Handle::GetAutotune);

  py::class_<Descriptor>(m, "Descriptor")
      .def("info", &Descriptor::InfoDict)
      .def("row_permutation", &Descriptor::RowPermutation)
      .def("column_indices", &Descriptor::ColumnIndices)
      .def("decompress", &Descriptor::Decompress, py::arg("type"))
      .def("save", &Descriptor::Save, py::arg("path"))
      .def("serialize", &Descriptor::Serialize)
      .def("tuned_plans", &Descriptor::TunedPlans)
      .def("spmm_host", &Descriptor::SpMMHost, py::arg("handle"), py::arg("n"),
           py::arg("alpha"), py::arg("b"), py::arg("b_order"), py::arg("ldb"),
           py::arg("beta"), py::arg("c"), py::arg("c_order"), py::arg("ldc"),
           py::arg("bias"), py::arg("io_type"), py::arg("rows"))
      .def("spmm_workspace_size", &Descriptor::SpMMWorkspaceSize,
           py::arg("handle"), py::arg("n"), py::arg("b_order"),
           py::arg("c_order"))
      .def("spmm_device", &Descriptor::SpMMDevice, py::arg("handle"),
           py::arg("n"), py::arg("alpha"), py::arg("b"), py::arg("b_order"),
           py::arg("ldb"), py::arg("beta"), py::arg("c"), py::arg("c_order"),
           py::arg("ldc"), py::arg("bias"), py::arg("io_type"), py::arg("rows"),
           py::arg("workspace"), py::arg("workspace_size"), py::arg("stream"),
           py::arg("search") = false)
      .def("to_device", &Descriptor::ToDevice, py::arg("handle"),
           py::arg("stream"));

  m.def("create_descriptor", &CreateDescriptor, py::arg("handle"),
        py::arg("weights"), py::arg("weight_type"), py::arg("rows"),
        py::arg("cols"), py::arg("ldw"), py::arg("saliency"), py::arg("lds"),
        py::arg("tile_rows"), py::arg("vector_sparsity"), py::arg("kept_cols"),
        py::arg("value_type"), py::arg("permute"), py::arg("permute_algo"),
        py::arg("seed"), py::arg("max_failures"), py::arg("num_threads"),
        py::arg("progress"));
  m.def("load_descriptor", &LoadDescriptor, py::arg("handle"), py::arg("path"));
  m.def("fold_input_permutation", &FoldInputPermutation, py::arg("handle"), py::arg("desc"),
        py::arg("perm"));
  m.def("deserialize_descriptor", &DeserializeDescriptor, py::arg("handle"),
        py::arg("data"));
  m.def("dense_gemm", &DenseGemm, py::arg("handle"), py::arg("m"), py::arg("n"),
        py::arg("k"), py::arg("alpha"), py::arg("a"), py::arg("lda"),
        py::arg("b"), py::arg("b_order"), py::arg("ldb"), py::arg("beta"),
        py::arg("c"), py::arg("c_order"), py::arg("ldc"), py::arg("type"),
        py::arg("stream"));

  py::class_<DLPackTensor>(m, "DLPackTensor")
      .def(py::init<const py::capsule&>())
      .def_property_readonly("data_ptr", &DLPackTensor::data_ptr)
      .def_property_readonly("device_type", &DLPackTensor::device_type)
      .def_property_readonly("device_id", &DLPackTensor::device_id)
      .def_property_readonly("dtype", &DLPackTensor::dtype)
      .def_property_readonly("shape", &DLPackTensor::shape)
      .def_property_readonly("strides", &DLPackTensor::strides);

  // Enum values of hinm.h, so the Python layer never hard-codes numbers.
  m.attr("R_16F") = static_cast<int>(HINM_R_16F);
  m.attr("R_16BF") = static_cast<int>(HINM_R_16BF);
  m.attr("R_32F") = static_cast<int>(HINM_R_32F);
  m.attr("ORDER_FEATURE_MAJOR") = static_cast<int>(HINM_ORDER_FEATURE_MAJOR);
  m.attr("ORDER_TOKEN_MAJOR") = static_cast<int>(HINM_ORDER_TOKEN_MAJOR);
  m.attr("ROWS_ORIGINAL") = static_cast<int>(HINM_ROWS_ORIGINAL);
  m.attr("ROWS_PERMUTED") = static_cast<int>(HINM_ROWS_PERMUTED);
  m.attr("PERMUTE_NONE") = static_cast<int>(HINM_PERMUTE_NONE);
  m.attr("PERMUTE_OUTPUT") = static_cast<int>(HINM_PERMUTE_OUTPUT);
  m.attr("PERMUTE_INPUT") = static_cast<int>(HINM_PERMUTE_INPUT);
  m.attr("PERMUTE_BOTH") = static_cast<int>(HINM_PERMUTE_BOTH);
  m.attr("PERMUTE_ALGO_DEFAULT") = static_cast<int>(HINM_PERMUTE_ALGO_DEFAULT);
  m.attr("PERMUTE_ALGO_PUBLISHED") =
      static_cast<int>(HINM_PERMUTE_ALGO_PUBLISHED);
  m.attr("KERNEL_AUTO") = static_cast<int>(HINM_KERNEL_AUTO);
  m.attr("KERNEL_MMA_SP") = static_cast<int>(HINM_KERNEL_MMA_SP);
  m.attr("KERNEL_WGMMA_SP") = static_cast<int>(HINM_KERNEL_WGMMA_SP);
  m.attr("STATUS_INVALID_VALUE") = static_cast<int>(HINM_STATUS_INVALID_VALUE);
  m.attr("STATUS_INVALID_DTYPE") = static_cast<int>(HINM_STATUS_INVALID_DTYPE);
  m.attr("STATUS_SIZE_OVERFLOW") = static_cast<int>(HINM_STATUS_SIZE_OVERFLOW);
  m.attr("STATUS_MISALIGNED") = static_cast<int>(HINM_STATUS_MISALIGNED);
  m.attr("STATUS_CANCELLED") = static_cast<int>(HINM_STATUS_CANCELLED);
}
