// Turns a failed hinm C API call into a RunError carrying the status name and
// the library's own message.
#ifndef HINM_CLI_API_CHECK_H_
#define HINM_CLI_API_CHECK_H_

#include <string>

#include "cli/flags.h"
#include "hinm/hinm.h"

namespace hinm_cli {

inline void CheckApi(hinmStatus_t status, const std::string& doing) {
  if (status != HINM_STATUS_SUCCESS) {
    throw RunError(doing + " failed: " + hinmGetErrorName(status) + ": " +
                   hinmGetLastErrorMessage());
  }
}

// Owns a library handle / descriptor for the scope of a command.
class Handle {
 public:
  Handle() { CheckApi(hinmCreate(&h_), "hinmCreate"); }
  ~Handle() { hinmDestroy(h_); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hinmHandle_t get() const { return h_; }

 private:
  hinmHandle_t h_ = nullptr;
};

class Descriptor {
 public:
  Descriptor() = default;
  ~Descriptor() {
    if (d_ != nullptr) hinmDestroyDescriptor(d_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  hinmDescriptor_t* out() { return &d_; }
  hinmDescriptor_t get() const { return d_; }

 private:
  hinmDescriptor_t d_ = nullptr;
};

}  // namespace hinm_cli

#endif  // HINM_CLI_API_CHECK_H_
