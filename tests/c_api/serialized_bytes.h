// A descriptor's bytes through the C API (hinmSerializedSize, then
// hinmSerialize), for tests that compare descriptors or copy them. Failures
// are gtest failures with the library's message; the bytes are then what
// was written. Host only.
#ifndef HINM_TESTS_C_API_SERIALIZED_BYTES_H_
#define HINM_TESTS_C_API_SERIALIZED_BYTES_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "hinm/hinm.h"

namespace hinm_capi_test {

inline std::vector<uint8_t> SerializedBytes(hinmDescriptor_t d) {
  size_t size = 0;
  EXPECT_EQ(hinmSerializedSize(d, &size), HINM_STATUS_SUCCESS) << hinmGetLastErrorMessage();
  std::vector<uint8_t> out(size);
  EXPECT_EQ(hinmSerialize(d, out.data(), size), HINM_STATUS_SUCCESS) << hinmGetLastErrorMessage();
  return out;
}

}  // namespace hinm_capi_test

#endif  // HINM_TESTS_C_API_SERIALIZED_BYTES_H_
