#include "cpp/hinm/checksum.h"

namespace hinm {

uint64_t Fnv1a64(const void* data, size_t size, uint64_t hash) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= kFnv1aPrime;
  }
  return hash;
}

}  // namespace hinm
