// File layout (all little-endian; docs/format.md has the tables):
//
//   offset size field
//        0    8 magic "HINMFMT\0"
//        8    4 format version (kFileFormatVersion; down to kOldestFileFormatVersion is read)
//       12    4 endianness marker 0x01020304 (as written by the host)
//       16    4 header size in bytes (kHeaderSize)
//       20    4 flags: bit 0 column_permuted, bit 1 row_perm present,
//                      bit 2 tuned plans follow the arrays (version 2 only)
//       24    8 rows (M)            32  8 cols (K)
//       40    4 tile_rows (V)       44  4 dtype
//       48    8 kept_cols (K_keep)
//       56    8 retained_saliency (IEEE double)
//       64    8 kept_weights
//       72   32 array lengths (elements): values, meta, col_idx, row_perm
//      104   32 FNV-1a 64 of each array's bytes, same order
//      136    8 FNV-1a 64 of header bytes [0, 136)
//      144      values (u16), meta (u32), col_idx (i32), row_perm (i32)
//
// With flag bit 2, the tuned plans, from S (the end of the arrays) to the
// end of the file (Serialize sets the bit only when there are some):
//        S    4 entry count E (u32, >= 1)
//      S+4      E entries, in strictly ascending problem order
//               (SpmmProblemKey::operator<), each kEntryFixedBytes + L:
//                 4 device name length L (u32, <= kMaxDeviceNameBytes)
//                 L device name (no NUL)
//                 4 cc major (i32, 1..99)    4 cc minor (i32, 0..99)
//                 4 SM count (i32, >= 1)     8 n (i64, 1 .. 2^31 - 1)
//                 4 b_order, 4 c_order (i32: 0 feature-major, 1 token-major)
//                 4 kernel (u32: 0 the planner's, 1 mma.sp, 2 wgmma.sp)
//                32 tile config name ([a-z0-9_], <= kMaxConfigNameBytes, then
//                   NUL bytes to the end of the field; empty: the planner's)
//                 4 splits (i32, 0..kMaxSavedSplits; 0 the planner's)
//                 4 cluster (u32: 0 or 1)
//    end-8    8 FNV-1a 64 of bytes [S, end - 8)
// A version 1 file is the same without the section (and without bit 2).
#include "cpp/hinm/serialize.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "cpp/hinm/checksum.h"
#include "cpp/hinm/error.h"

namespace hinm {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the file format is little-endian; add byte swapping for this host");

constexpr char kMagic[8] = {'H', 'I', 'N', 'M', 'F', 'M', 'T', '\0'};
constexpr uint32_t kEndianMarker = 0x01020304u;
constexpr size_t kHeaderSize = 144;
constexpr size_t kHeaderChecksumOffset = 136;
constexpr uint32_t kFlagColumnPermuted = 1u << 0;
constexpr uint32_t kFlagRowPerm = 1u << 1;
constexpr uint32_t kFlagTunedPlans = 1u << 2;  // version 2 on

uint32_t KnownFlags(uint32_t version) {
  return kFlagColumnPermuted | kFlagRowPerm | (version >= 2 ? kFlagTunedPlans : 0u);
}

// The tuned plans section: entry count and trailing checksum around the
// entries; an entry is kEntryFixedBytes plus its device name.
constexpr size_t kCountBytes = 4;
constexpr size_t kSectionChecksumBytes = 8;
constexpr size_t kConfigFieldBytes = 32;
constexpr size_t kEntryFixedBytes = 44 + kConfigFieldBytes;
static_assert(kMaxConfigNameBytes < kConfigFieldBytes, "room for the terminating NUL");

template <typename T>
void Put(uint8_t* base, size_t offset, T v) {
  std::memcpy(base + offset, &v, sizeof v);
}

template <typename T>
T Get(const uint8_t* base, size_t offset) {
  T v;
  std::memcpy(&v, base + offset, sizeof v);
  return v;
}

[[noreturn]] void Corrupt(const std::string& why) {
  throw Error(Status::kCorruptFile, "corrupt hinm file: " + why);
}

std::string IoMessage(const std::string& what, const std::string& path, int err) {
  return what + " '" + path + "': " + std::strerror(err);
}

template <typename T>
void Append(std::vector<uint8_t>* out, T v) {
  const size_t at = out->size();
  out->resize(at + sizeof v);
  Put<T>(out->data(), at, v);
}

// A tuned plan as its fields lie in the file: enums and the bool as plain
// integers, so that a reader can check a value before it becomes one.
struct RawEntry {
  std::string name;
  int32_t cc_major = 0, cc_minor = 0, sm_count = 0;
  int64_t n = 0;
  int32_t b_order = 0, c_order = 0;
  uint32_t kernel = 0;
  std::string config;
  int32_t splits = 0;
  uint32_t cluster = 0;
};

RawEntry ToRaw(const TunedPlans::Entry& e) {
  const SpmmProblemKey& p = e.problem;
  return {p.device.name,
          p.device.cc_major,
          p.device.cc_minor,
          p.device.sm_count,
          p.n,
          static_cast<int32_t>(p.b_order),
          static_cast<int32_t>(p.c_order),
          static_cast<uint32_t>(e.choice.kernel),
          e.choice.config,
          e.choice.splits,
          e.choice.cluster ? 1u : 0u};
}

// Only for an entry EntryFault passed.
TunedPlans::Entry FromRaw(RawEntry&& r) {
  TunedPlans::Entry e;
  e.problem.device = {std::move(r.name), r.cc_major, r.cc_minor, r.sm_count};
  e.problem.n = r.n;
  e.problem.b_order = static_cast<Order>(r.b_order);
  e.problem.c_order = static_cast<Order>(r.c_order);
  e.choice.kernel = static_cast<GpuKernel>(r.kernel);
  e.choice.config = std::move(r.config);
  e.choice.splits = r.splits;
  e.choice.cluster = r.cluster == 1;
  return e;
}

// Why `r` cannot be in a file ("" if it can): one rule for the writer
// (kInvalidValue) and the reader (kCorruptFile).
std::string EntryFault(const RawEntry& r) {
  const auto is_order = [](int32_t o) {
    return o == static_cast<int32_t>(Order::kFeatureMajor) ||
           o == static_cast<int32_t>(Order::kTokenMajor);
  };
  if (r.name.size() > kMaxDeviceNameBytes)
    return "device name of " + std::to_string(r.name.size()) + " bytes (at most " +
           std::to_string(kMaxDeviceNameBytes) + ")";
  if (r.name.find('\0') != std::string::npos) return "device name contains a NUL byte";
  if (r.cc_major < 1 || r.cc_major > 99 || r.cc_minor < 0 || r.cc_minor > 99)
    return "compute capability " + std::to_string(r.cc_major) + "." +
           std::to_string(r.cc_minor) + " outside 1.0 .. 99.99";
  if (r.sm_count < 1) return "SM count " + std::to_string(r.sm_count) + " is not >= 1";
  if (r.n < 1 || r.n > INT32_MAX) return "n = " + std::to_string(r.n) + " outside 1 .. 2^31 - 1";
  if (!is_order(r.b_order)) return "b_order " + std::to_string(r.b_order) + " is not 0 or 1";
  if (!is_order(r.c_order)) return "c_order " + std::to_string(r.c_order) + " is not 0 or 1";
  if (r.kernel > static_cast<uint32_t>(GpuKernel::kWgmmaSp))
    return "kernel " + std::to_string(r.kernel) + " is not 0, 1 or 2";
  if (r.config.size() > kMaxConfigNameBytes)
    return "tile config name of " + std::to_string(r.config.size()) + " bytes (at most " +
           std::to_string(kMaxConfigNameBytes) + ")";
  for (const char ch : r.config)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
      return "tile config name has a byte outside [a-z0-9_]";
  if (r.splits < 0 || r.splits > kMaxSavedSplits)
    return "splits = " + std::to_string(r.splits) + " outside 0 .. " +
           std::to_string(kMaxSavedSplits);
  if (r.cluster > 1) return "cluster flag " + std::to_string(r.cluster) + " is not 0 or 1";
  return "";
}

// The tuned plans section (layout at the top of this file) of `tuned`,
// sorted by problem; throws kInvalidValue for what a file cannot hold.
std::vector<uint8_t> TunedSection(std::vector<TunedPlans::Entry> tuned) {
  std::sort(tuned.begin(), tuned.end(),
            [](const TunedPlans::Entry& a, const TunedPlans::Entry& b) {
              return a.problem < b.problem;
            });
  std::vector<uint8_t> out;
  Append<uint32_t>(&out, static_cast<uint32_t>(tuned.size()));
  for (size_t i = 0; i < tuned.size(); ++i) {
    const std::string at = "Serialize: tuned plan " + std::to_string(i) + " ";
    Require(i == 0 || tuned[i - 1].problem < tuned[i].problem, Status::kInvalidValue,
            at + "has the same problem as the one before it");
    const RawEntry r = ToRaw(tuned[i]);
    const std::string fault = EntryFault(r);
    Require(fault.empty(), Status::kInvalidValue, at + "cannot be saved: " + fault);
    Append<uint32_t>(&out, static_cast<uint32_t>(r.name.size()));
    out.insert(out.end(), r.name.begin(), r.name.end());
    Append<int32_t>(&out, r.cc_major);
    Append<int32_t>(&out, r.cc_minor);
    Append<int32_t>(&out, r.sm_count);
    Append<int64_t>(&out, r.n);
    Append<int32_t>(&out, r.b_order);
    Append<int32_t>(&out, r.c_order);
    Append<uint32_t>(&out, r.kernel);
    const size_t config_at = out.size();
    out.resize(config_at + kConfigFieldBytes, 0);
    std::memcpy(out.data() + config_at, r.config.data(), r.config.size());
    Append<int32_t>(&out, r.splits);
    Append<uint32_t>(&out, r.cluster);
  }
  Append<uint64_t>(&out, Fnv1a64(out.data(), out.size()));
  return out;
}

// Reads the tuned plans section, bytes [begin, end) of data (checked to
// hold at least its count and checksum); throws kCorruptFile.
std::vector<TunedPlans::Entry> ReadTunedSection(const uint8_t* data, size_t begin, size_t end) {
  const size_t sum_at = end - kSectionChecksumBytes;
  if (Get<uint64_t>(data, sum_at) != Fnv1a64(data + begin, sum_at - begin))
    Corrupt("tuned plans checksum mismatch");
  const uint32_t count = Get<uint32_t>(data, begin);
  size_t pos = begin + kCountBytes;
  if (count == 0) Corrupt("tuned plans section with no entries");
  if (count > (sum_at - pos) / kEntryFixedBytes)
    Corrupt("tuned plan count " + std::to_string(count) + " cannot fit in the section's " +
            std::to_string(sum_at - pos) + " bytes of entries");
  std::vector<TunedPlans::Entry> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const std::string at = "tuned plan " + std::to_string(i) + ": ";
    const auto need = [&](size_t bytes) {
      if (sum_at - pos < bytes)
        Corrupt(at + "truncated (" + std::to_string(sum_at - pos) + " bytes left, it needs " +
                std::to_string(bytes) + ")");
    };
    need(kEntryFixedBytes);
    RawEntry r;
    const uint32_t len = Get<uint32_t>(data, pos);
    if (len > kMaxDeviceNameBytes)
      Corrupt(at + "device name of " + std::to_string(len) + " bytes (at most " +
              std::to_string(kMaxDeviceNameBytes) + ")");
    need(kEntryFixedBytes + len);
    r.name.assign(reinterpret_cast<const char*>(data + pos + 4), len);
    pos += 4 + len;
    r.cc_major = Get<int32_t>(data, pos);
    r.cc_minor = Get<int32_t>(data, pos + 4);
    r.sm_count = Get<int32_t>(data, pos + 8);
    r.n = Get<int64_t>(data, pos + 12);
    r.b_order = Get<int32_t>(data, pos + 20);
    r.c_order = Get<int32_t>(data, pos + 24);
    r.kernel = Get<uint32_t>(data, pos + 28);
    const char* config = reinterpret_cast<const char*>(data + pos + 32);
    const size_t config_len = strnlen(config, kConfigFieldBytes);
    if (config_len == kConfigFieldBytes) Corrupt(at + "tile config name without a NUL");
    for (size_t j = config_len; j < kConfigFieldBytes; ++j)
      if (config[j] != '\0') Corrupt(at + "bytes after the tile config name's NUL");
    r.config.assign(config, config_len);
    r.splits = Get<int32_t>(data, pos + 32 + kConfigFieldBytes);
    r.cluster = Get<uint32_t>(data, pos + 36 + kConfigFieldBytes);
    pos += kEntryFixedBytes - 4;
    const std::string fault = EntryFault(r);
    if (!fault.empty()) Corrupt(at + fault);
    out.push_back(FromRaw(std::move(r)));
    if (i > 0 && !(out[i - 1].problem < out[i].problem))
      Corrupt(at + "not after the one before it (entries must be in ascending problem order, "
                   "each problem once)");
  }
  if (pos != sum_at)
    Corrupt(std::to_string(sum_at - pos) + " stray bytes after the last tuned plan");
  return out;
}

}  // namespace

std::vector<uint8_t> Serialize(const CompressedMatrix& m,
                               const std::vector<TunedPlans::Entry>& tuned) {
  m.Validate();
  const std::vector<uint8_t> section =
      tuned.empty() ? std::vector<uint8_t>{} : TunedSection(tuned);
  const Layout& l = m.layout;
  const uint64_t counts[4] = {m.values.size(), m.meta.size(), m.col_idx.size(), m.row_perm.size()};
  const void* arrays[4] = {m.values.data(), m.meta.data(), m.col_idx.data(), m.row_perm.data()};
  const size_t elem[4] = {2, 4, 4, 4};
  size_t total = kHeaderSize;
  for (int i = 0; i < 4; ++i) total += counts[i] * elem[i];
  std::vector<uint8_t> out(total + section.size(), 0);
  uint8_t* h = out.data();
  std::memcpy(h, kMagic, sizeof kMagic);
  Put<uint32_t>(h, 8, kFileFormatVersion);
  Put<uint32_t>(h, 12, kEndianMarker);
  Put<uint32_t>(h, 16, static_cast<uint32_t>(kHeaderSize));
  Put<uint32_t>(
      h, 20,
      (m.column_permuted ? kFlagColumnPermuted : 0u) | (m.row_perm.empty() ? 0u : kFlagRowPerm) |
          (section.empty() ? 0u : kFlagTunedPlans));
  Put<int64_t>(h, 24, l.rows);
  Put<int64_t>(h, 32, l.cols);
  Put<int32_t>(h, 40, l.tile_rows);
  Put<int32_t>(h, 44, static_cast<int32_t>(l.dtype));
  Put<int64_t>(h, 48, l.kept_cols);
  Put<double>(h, 56, m.stats.retained_saliency);
  Put<int64_t>(h, 64, m.stats.kept_weights);
  size_t offset = kHeaderSize;
  for (int i = 0; i < 4; ++i) {
    const size_t bytes = counts[i] * elem[i];
    Put<uint64_t>(h, 72 + 8 * i, counts[i]);
    Put<uint64_t>(h, 104 + 8 * i, Fnv1a64(arrays[i], bytes));
    if (bytes > 0) std::memcpy(h + offset, arrays[i], bytes);
    offset += bytes;
  }
  if (!section.empty()) std::memcpy(h + offset, section.data(), section.size());
  Put<uint64_t>(h, kHeaderChecksumOffset, Fnv1a64(h, kHeaderChecksumOffset));
  return out;
}

CompressedMatrix Deserialize(const uint8_t* data, size_t size,
                             std::vector<TunedPlans::Entry>* tuned) {
  Require(data != nullptr || size == 0, Status::kNullPointer, "Deserialize: data is null");
  if (size < kHeaderSize) {
    Corrupt("size " + std::to_string(size) + " is smaller than the " + std::to_string(kHeaderSize) +
            "-byte header");
  }
  if (std::memcmp(data, kMagic, sizeof kMagic) != 0) Corrupt("bad magic (not a hinm file)");
  const uint32_t version = Get<uint32_t>(data, 8);
  if (version < kOldestFileFormatVersion || version > kFileFormatVersion) {
    throw Error(Status::kVersionMismatch, "hinm file format version " + std::to_string(version) +
                                              ", this library reads " +
                                              std::to_string(kOldestFileFormatVersion) + " to " +
                                              std::to_string(kFileFormatVersion));
  }
  if (Get<uint64_t>(data, kHeaderChecksumOffset) != Fnv1a64(data, kHeaderChecksumOffset)) {
    Corrupt("header checksum mismatch");
  }
  if (Get<uint32_t>(data, 12) != kEndianMarker) Corrupt("written on a host of other endianness");
  if (Get<uint32_t>(data, 16) != kHeaderSize) Corrupt("unexpected header size");
  const uint32_t flags = Get<uint32_t>(data, 20);
  if ((flags & ~KnownFlags(version)) != 0) {
    Corrupt("unknown flags " + std::to_string(flags) + " for format version " +
            std::to_string(version));
  }

  CompressedMatrix m;
  try {
    m.layout = Layout::Make(Get<int64_t>(data, 24), Get<int64_t>(data, 32), Get<int32_t>(data, 40),
                            Get<int64_t>(data, 48), static_cast<DType>(Get<int32_t>(data, 44)));
  } catch (const Error& e) {
    Corrupt(std::string("bad parameters: ") + e.what());
  }
  const Layout& l = m.layout;
  const bool has_perm = (flags & kFlagRowPerm) != 0;
  const uint64_t want[4] = {
      static_cast<uint64_t>(l.num_values()), static_cast<uint64_t>(l.num_meta_words()),
      static_cast<uint64_t>(l.num_col_indices()), has_perm ? static_cast<uint64_t>(l.rows) : 0};
  const size_t elem[4] = {2, 4, 4, 4};
  const char* names[4] = {"values", "meta", "col_idx", "row_perm"};
  uint64_t expected_size = kHeaderSize;
  for (int i = 0; i < 4; ++i) {
    const uint64_t count = Get<uint64_t>(data, 72 + 8 * i);
    if (count != want[i]) {
      Corrupt(std::string(names[i]) + " length " + std::to_string(count) +
              " disagrees with the layout (" + std::to_string(want[i]) + ")");
    }
    expected_size += want[i] * elem[i];  // bounded: Layout::Make checked the sizes
  }
  const bool has_tuned = (flags & kFlagTunedPlans) != 0;
  if (!has_tuned && size != expected_size) {
    Corrupt("size " + std::to_string(size) + " bytes, the header implies " +
            std::to_string(expected_size) + (size < expected_size ? " (truncated)" : ""));
  }
  // The tuned plans section: at least its count, one entry and its checksum.
  const uint64_t min_tuned = kCountBytes + kEntryFixedBytes + kSectionChecksumBytes;
  if (has_tuned && (size < expected_size || size - expected_size < min_tuned)) {
    Corrupt("size " + std::to_string(size) + " bytes, the header implies at least " +
            std::to_string(expected_size + min_tuned) + " (truncated)");
  }
  size_t offset = kHeaderSize;
  for (int i = 0; i < 4; ++i) {
    const size_t bytes = want[i] * elem[i];
    if (Get<uint64_t>(data, 104 + 8 * i) != Fnv1a64(data + offset, bytes)) {
      Corrupt(std::string(names[i]) + " checksum mismatch");
    }
    offset += bytes;
  }
  auto copy = [&](auto& vec, uint64_t count, size_t at) {
    vec.resize(count);
    if (count > 0) std::memcpy(vec.data(), data + at, count * sizeof(vec[0]));
  };
  offset = kHeaderSize;
  copy(m.values, want[0], offset);
  offset += want[0] * 2;
  copy(m.meta, want[1], offset);
  offset += want[1] * 4;
  copy(m.col_idx, want[2], offset);
  offset += want[2] * 4;
  copy(m.row_perm, want[3], offset);
  std::vector<TunedPlans::Entry> entries;
  if (has_tuned) entries = ReadTunedSection(data, expected_size, size);
  m.column_permuted = (flags & kFlagColumnPermuted) != 0;
  m.stats.retained_saliency = Get<double>(data, 56);
  m.stats.kept_weights = Get<int64_t>(data, 64);
  try {
    m.Validate();
  } catch (const Error& e) {
    Corrupt(e.what());
  }
  if (tuned != nullptr) *tuned = std::move(entries);
  return m;
}

void SaveToFile(const CompressedMatrix& m, const std::string& path,
                const std::vector<TunedPlans::Entry>& tuned) {
  const std::vector<uint8_t> bytes = Serialize(m, tuned);
  // Write a temporary file beside the target, flush it to disk, then rename:
  // readers see the old file or the whole new one, never half of one.
  // pid + a process-wide counter: concurrent saves never share a temp file.
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(Status::kIoError, IoMessage("cannot create", tmp, errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(Status::kIoError, IoMessage("cannot write", tmp, err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(Status::kIoError, IoMessage("cannot flush", tmp, err));
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw Error(Status::kIoError, IoMessage("cannot close", tmp, err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw Error(Status::kIoError, IoMessage("cannot rename " + tmp + " to", path, err));
  }
}

CompressedMatrix LoadFromFile(const std::string& path,
                              std::vector<TunedPlans::Entry>* tuned) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Status::kIoError, IoMessage("cannot open", path, errno));
  struct stat st;
  const bool stat_ok = ::fstat(fd, &st) == 0;
  if (!stat_ok || !S_ISREG(st.st_mode)) {
    const int err = !stat_ok ? errno : (S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    ::close(fd);
    throw Error(Status::kIoError, IoMessage("not a readable regular file", path, err));
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw Error(Status::kIoError, IoMessage("cannot read", path, err));
    }
    if (n == 0) break;  // shrank while reading: Deserialize reports truncation
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(done);
  try {
    return Deserialize(bytes.data(), bytes.size(), tuned);
  } catch (const Error& e) {
    throw Error(e.status(), std::string(e.what()) + " (file '" + path + "')");
  }
}

}  // namespace hinm
