// FNV-1a 64-bit: the checksum of the file format (serialize.cc). Not
// cryptographic; it catches truncation, bit flips and torn writes.
#ifndef HINM_CHECKSUM_H_
#define HINM_CHECKSUM_H_

#include <cstddef>
#include <cstdint>

namespace hinm {

inline constexpr uint64_t kFnv1aOffset = 0xcbf29ce484222325ull;
inline constexpr uint64_t kFnv1aPrime = 0x100000001b3ull;

// Continues a running hash (start from kFnv1aOffset).
uint64_t Fnv1a64(const void* data, size_t size, uint64_t hash = kFnv1aOffset);

}  // namespace hinm

#endif  // HINM_CHECKSUM_H_
