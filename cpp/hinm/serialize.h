// Versioned binary file format for a CompressedMatrix and the plans a plan
// search found for it (docs/format.md): header (magic "HINMFMT\0",
// format version, parameters, array sizes, FNV-1a checksums of header and
// each array), the arrays, then (version 2) an optional section of tuned
// plans with its own checksum. Loading never reads out of bounds: sizes are
// checked against the parameters before any array is read, and checksums
// before use.
#ifndef HINM_SERIALIZE_H_
#define HINM_SERIALIZE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/tuned_plans.h"

namespace hinm {

// What Serialize writes. Deserialize reads this and every older version
// down to kOldestFileFormatVersion; version 1 has no tuned plans.
inline constexpr uint32_t kFileFormatVersion = 2;
inline constexpr uint32_t kOldestFileFormatVersion = 1;

// The ranges a saved tuned plan must lie in (Serialize refuses others,
// Deserialize reports them as corrupt).
inline constexpr size_t kMaxDeviceNameBytes = 255;  // cudaDeviceProp::name is char[256]
inline constexpr int32_t kMaxSavedSplits = 64;      // the planner's MaxSplits, cuda/spmm_launch.cu
// A tile config name: up to this many bytes of [a-z0-9_] (cuda/spmm_configs.h
// names; one this build does not know loads and is ignored when run).
inline constexpr size_t kMaxConfigNameBytes = 31;

// The file's bytes: m, and `tuned` (any order; written in ascending problem
// order, so equal contents give equal bytes). Throws Error(kInvalidValue) if
// m is invalid (Validate), or an entry of `tuned` lies outside the ranges
// above or repeats another's problem.
std::vector<uint8_t> Serialize(const CompressedMatrix& m,
                               const std::vector<TunedPlans::Entry>& tuned = {});
// Serialize(m, tuned).size(), without making the bytes: a caller sizing a
// buffer for a matrix of gigabytes need not copy it first. It validates as
// Serialize does (it reads m, but makes no copy of it) and throws what
// Serialize throws for the same input.
size_t SerializedSize(const CompressedMatrix& m,
                      const std::vector<TunedPlans::Entry>& tuned = {});
// Writes Serialize(m, tuned)'s bytes straight into out[0, capacity) (no
// copy of the file is made) and returns how many: SerializedSize(m, tuned).
// Bytes of out past those are left alone. Throws what Serialize throws for
// the same input, Error(kNullPointer) if out is null, and
// Error(kInvalidValue, "size = <capacity> is smaller than the <N> bytes
// needed ...") if capacity is too small; for each of these nothing has been
// written to out.
// The size is measured from `tuned` as given: a caller whose plans may
// change between SerializedSize and this call passes one snapshot of them
// here, and a grown snapshot is refused instead of written past out.
size_t SerializeInto(const CompressedMatrix& m, const std::vector<TunedPlans::Entry>& tuned,
                     uint8_t* out, size_t capacity);
// Throws Error(kCorruptFile | kVersionMismatch) on bad data. If `tuned` is
// not null, *tuned becomes the file's tuned plans in ascending problem
// order (none from a version 1 file); it is left alone when this throws.
CompressedMatrix Deserialize(const uint8_t* data, size_t size,
                             std::vector<TunedPlans::Entry>* tuned = nullptr);

// The same through a file. Throws Error(kIoError) if the file cannot be
// written/read, and what Serialize/Deserialize throw. SaveToFile streams
// the bytes from m to a temporary file beside `path` (no copy of the file
// in memory) and renames it over `path` once complete; bad input is refused
// before any file is made, and on an error the temporary file is removed.
void SaveToFile(const CompressedMatrix& m, const std::string& path,
                const std::vector<TunedPlans::Entry>& tuned = {});
CompressedMatrix LoadFromFile(const std::string& path,
                              std::vector<TunedPlans::Entry>* tuned = nullptr);

}  // namespace hinm

#endif  // HINM_SERIALIZE_H_
