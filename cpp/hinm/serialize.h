// Versioned binary file format for a CompressedMatrix (docs/format.md):
// header (magic "HINMFMT\0", format version, parameters, array sizes,
// FNV-1a/CRC checksums of header and each array), then the arrays.
// Loading never reads out of bounds: sizes are checked against the
// parameters before any array is read, and checksums before use.
#ifndef HINM_SERIALIZE_H_
#define HINM_SERIALIZE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cpp/hinm/compressed_matrix.h"

namespace hinm {

inline constexpr uint32_t kFileFormatVersion = 1;

std::vector<uint8_t> Serialize(const CompressedMatrix& m);
// Throws Error(kCorruptFile | kVersionMismatch) on bad data.
CompressedMatrix Deserialize(const uint8_t* data, size_t size);

// Throws Error(kIoError) if the file cannot be written/read.
void SaveToFile(const CompressedMatrix& m, const std::string& path);
CompressedMatrix LoadFromFile(const std::string& path);

}  // namespace hinm

#endif  // HINM_SERIALIZE_H_
