// Shared by the fuzz targets: a failed invariant stops the run with a
// message (libFuzzer saves the input as a crash).
#ifndef HINM_TESTS_FUZZ_FUZZ_UTIL_H_
#define HINM_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

#endif  // HINM_TESTS_FUZZ_FUZZ_UTIL_H_
