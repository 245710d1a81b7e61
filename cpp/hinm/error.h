// The core's error type. Core functions throw hinm::Error; the C API shim
// (c_api/hinm.cc) catches it and turns it into hinmStatus_t plus a message.
// Status values mirror hinmStatus_t one to one (static_asserts in the shim).
#ifndef HINM_ERROR_H_
#define HINM_ERROR_H_

#include <stdexcept>
#include <string>

namespace hinm {

enum class Status : int {
  kSuccess = 0,
  kNotInitialized = 1,
  kInvalidValue = 2,
  kNullPointer = 3,
  kSizeOverflow = 4,
  kNotSupported = 5,
  kAllocFailed = 6,
  kNoDevice = 7,
  kCudaError = 8,
  kCublasError = 9,
  kIoError = 10,
  kCorruptFile = 11,
  kVersionMismatch = 12,
  kCancelled = 13,
  kInternalError = 14,
  kInvalidDType = 15,
  kMisaligned = 16,
};

class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  Status status() const { return status_; }

 private:
  Status status_;
};

// Throws Error(status, message) unless cond holds.
inline void Require(bool cond, Status status, const std::string& message) {
  if (!cond) throw Error(status, message);
}

// a * b, throwing kSizeOverflow if it does not fit in int64 (a, b >= 0).
int64_t CheckedMul(int64_t a, int64_t b, const char* what);

}  // namespace hinm

#endif  // HINM_ERROR_H_
