// Sets an environment variable (a planner / kernel knob of
// cuda/spmm_launch.cu) for one scope and restores its earlier value, or its
// absence, on the way out.
#ifndef HINM_TESTS_CUDA_SCOPED_ENV_H_
#define HINM_TESTS_CUDA_SCOPED_ENV_H_

#include <cstdlib>
#include <string>

namespace hinm_test {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_) setenv(name_, old_.c_str(), 1);
    else unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace hinm_test

#endif  // HINM_TESTS_CUDA_SCOPED_ENV_H_
