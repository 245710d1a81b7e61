// Reading dense weight tensors from the files frameworks write, as float32:
// NumPy .npy (format versions 1-3) and safetensors. For tools (the `hinm`
// CLI, benchmarks); the library itself never touches files other than its
// own format (serialize.h).
//
// Errors (hinm::Error): kIoError (cannot open/read/write), kCorruptFile
// (malformed header, bad JSON, sizes or offsets that disagree with the file;
// nothing is ever read out of bounds), kNotSupported (a valid file holding
// what we do not read: Fortran order, big-endian or integer dtypes),
// kInvalidValue (no tensor of that name).
#ifndef HINM_TENSOR_IO_H_
#define HINM_TENSOR_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hinm {

// A dense C-order (row-major) float32 tensor.
struct Tensor {
  std::vector<int64_t> shape;  // empty = a scalar (one element)
  std::vector<float> data;     // product(shape) values, row-major

  int64_t numel() const;
};

// .npy: little-endian (or native) f2/f4/f8, C order.
Tensor LoadNpy(const std::string& path);
// The same from bytes in memory; `what` names the source in messages.
Tensor ParseNpy(const uint8_t* bytes, size_t size, const std::string& what = "npy data");
// Writes format version 1 (version 2 if the header needs it), '<f4'.
void SaveNpy(const std::string& path, const Tensor& tensor);
std::vector<uint8_t> EncodeNpy(const Tensor& tensor);

// One entry of a safetensors header.
struct SafetensorInfo {
  std::string name;
  std::string dtype;            // as in the file: "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range inside the data section
};

// Every tensor of a safetensors file, in header order ("__metadata__" is
// skipped). Validates the whole header against the file size.
std::vector<SafetensorInfo> ListSafetensors(const std::string& path);
// One tensor as float32 (dtype F32, F16, BF16 or F64).
Tensor LoadSafetensor(const std::string& path, const std::string& name);

}  // namespace hinm

#endif  // HINM_TENSOR_IO_H_
