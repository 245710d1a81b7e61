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
#include <array>
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

// The arrays, in file order (values, meta, col_idx, row_perm), and the
// bytes of one element of each in the file.
constexpr int kNumArrays = 4;
constexpr size_t kElemBytes[kNumArrays] = {2, 4, 4, 4};  // u16, u32, i32, i32
static_assert(sizeof(decltype(CompressedMatrix::values)::value_type) == kElemBytes[0] &&
                  sizeof(decltype(CompressedMatrix::meta)::value_type) == kElemBytes[1] &&
                  sizeof(decltype(CompressedMatrix::col_idx)::value_type) == kElemBytes[2] &&
                  sizeof(decltype(CompressedMatrix::row_perm)::value_type) == kElemBytes[3],
              "the arrays are copied to the file as they lie in memory");

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

// `tuned` in ascending problem order, the order a file holds them in (so
// equal contents give equal bytes); pointers, to measure and write the
// entries without copying them. Throws kInvalidValue for what a file cannot
// hold.
std::vector<const TunedPlans::Entry*> SavableInOrder(const std::vector<TunedPlans::Entry>& tuned) {
  std::vector<const TunedPlans::Entry*> sorted;
  sorted.reserve(tuned.size());
  for (const TunedPlans::Entry& e : tuned) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](const TunedPlans::Entry* a, const TunedPlans::Entry* b) {
              return a->problem < b->problem;
            });
  for (size_t i = 0; i < sorted.size(); ++i) {
    const std::string at = "Serialize: tuned plan " + std::to_string(i) + " ";
    Require(i == 0 || sorted[i - 1]->problem < sorted[i]->problem, Status::kInvalidValue,
            at + "has the same problem as the one before it");
    const std::string fault = EntryFault(ToRaw(*sorted[i]));
    Require(fault.empty(), Status::kInvalidValue, at + "cannot be saved: " + fault);
  }
  return sorted;
}

// An array as Serialize copies it: its elements and the bytes of one.
struct ArrayBytes {
  const void* data;
  uint64_t count;
  size_t elem;
};

std::array<ArrayBytes, kNumArrays> Arrays(const CompressedMatrix& m) {
  return {{{m.values.data(), m.values.size(), kElemBytes[0]},
           {m.meta.data(), m.meta.size(), kElemBytes[1]},
           {m.col_idx.data(), m.col_idx.size(), kElemBytes[2]},
           {m.row_perm.data(), m.row_perm.size(), kElemBytes[3]}}};
}

// The file WriteFile writes, measured before a byte of it is: the one place
// its sizes are added up, so SerializedSize (which sizes callers' buffers),
// SerializeInto's capacity check and the writer cannot disagree.
struct FilePlan {
  std::vector<const TunedPlans::Entry*> tuned;  // SavableInOrder's
  size_t arrays_end = 0;                        // S: where the tuned plans section starts
  size_t size = 0;                              // the whole file
};

// Checks m and tuned as Serialize must (Validate first, then the entries:
// every caller throws the same errors in the same order) and measures.
FilePlan PlanFile(const CompressedMatrix& m, const std::vector<TunedPlans::Entry>& tuned) {
  m.Validate();
  FilePlan p;
  p.tuned = SavableInOrder(tuned);
  // No overflow: Validate checked the lengths against the layout, which
  // Layout::Make bounded.
  p.arrays_end = kHeaderSize;
  for (const ArrayBytes& a : Arrays(m)) p.arrays_end += a.count * a.elem;
  p.size = p.arrays_end;
  if (!p.tuned.empty()) {  // no plans, no section (and no flag)
    p.size += kCountBytes + kSectionChecksumBytes;
    for (const TunedPlans::Entry* e : p.tuned)
      p.size += kEntryFixedBytes + e->problem.device.name.size();
  }
  return p;
}

// Where WriteFile's bytes go, in file order: memory (Serialize,
// SerializeInto) or a file (SaveToFile).
class Sink {
 public:
  virtual void Write(const void* data, size_t size) = 0;

 protected:
  ~Sink() = default;
};

// Into memory its caller checked holds the measured file.
class BufferSink final : public Sink {
 public:
  explicit BufferSink(uint8_t* out) : next_(out) {}
  void Write(const void* data, size_t size) override {
    if (size > 0) std::memcpy(next_, data, size);
    next_ += size;
  }

 private:
  uint8_t* next_;
};

// The writer's cursor: every byte of the file goes through Bytes, which
// refuses (kInternalError) to pass the size PlanFile measured, so a writer
// that drifts from PlanFile fails before it writes past a buffer of that
// size. It hashes what it writes between StartHash and TakeHash (the
// header's and the tuned plans section's own checksums).
class Cursor {
 public:
  Cursor(Sink* sink, size_t limit) : sink_(sink), limit_(limit) {}

  template <typename T>
  void Put(T v) {
    Bytes(&v, sizeof v);
  }
  void Bytes(const void* data, size_t size) {
    if (size > limit_ - written_) {
      throw Error(Status::kInternalError,
                  "Serialize: writing " + std::to_string(size) + " bytes at offset " +
                      std::to_string(written_) + " passes the " + std::to_string(limit_) +
                      " bytes SerializedSize measured");
    }
    if (size == 0) return;
    if (hashing_) hash_ = Fnv1a64(data, size, hash_);
    sink_->Write(data, size);
    written_ += size;
  }
  void StartHash() {
    hashing_ = true;
    hash_ = kFnv1aOffset;
  }
  uint64_t TakeHash() {
    hashing_ = false;
    return hash_;
  }
  // Fails (kInternalError) unless the cursor is at `offset`, where the
  // layout at the top of this file puts the next field.
  void ExpectAt(size_t offset, const char* what) const {
    Require(written_ == offset, Status::kInternalError,
            std::string("Serialize: ") + what + " at offset " + std::to_string(written_) +
                ", the layout puts it at " + std::to_string(offset));
  }

 private:
  Sink* sink_;
  size_t limit_;
  size_t written_ = 0;
  bool hashing_ = false;
  uint64_t hash_ = kFnv1aOffset;
};

// The file of `plan` (PlanFile(m, ...)), in order, to sink: the one writer
// of the layout at the top of this file. Exactly plan.size bytes.
void WriteFile(const CompressedMatrix& m, const FilePlan& plan, Sink* sink) {
  Cursor out(sink, plan.size);
  const Layout& l = m.layout;
  const std::array<ArrayBytes, kNumArrays> arrays = Arrays(m);
  out.StartHash();
  out.Bytes(kMagic, sizeof kMagic);
  out.Put<uint32_t>(kFileFormatVersion);
  out.Put<uint32_t>(kEndianMarker);
  out.Put<uint32_t>(static_cast<uint32_t>(kHeaderSize));
  out.Put<uint32_t>((m.column_permuted ? kFlagColumnPermuted : 0u) |
                    (m.row_perm.empty() ? 0u : kFlagRowPerm) |
                    (plan.tuned.empty() ? 0u : kFlagTunedPlans));
  out.Put<int64_t>(l.rows);
  out.Put<int64_t>(l.cols);
  out.Put<int32_t>(l.tile_rows);
  out.Put<int32_t>(static_cast<int32_t>(l.dtype));
  out.Put<int64_t>(l.kept_cols);
  out.Put<double>(m.stats.retained_saliency);
  out.Put<int64_t>(m.stats.kept_weights);
  for (const ArrayBytes& a : arrays) out.Put<uint64_t>(a.count);
  for (const ArrayBytes& a : arrays) out.Put<uint64_t>(Fnv1a64(a.data, a.count * a.elem));
  out.ExpectAt(kHeaderChecksumOffset, "the header checksum");
  out.Put<uint64_t>(out.TakeHash());
  for (const ArrayBytes& a : arrays) out.Bytes(a.data, a.count * a.elem);
  out.ExpectAt(plan.arrays_end, "the end of the arrays");
  if (!plan.tuned.empty()) {  // the tuned plans section
    out.StartHash();
    out.Put<uint32_t>(static_cast<uint32_t>(plan.tuned.size()));
    for (const TunedPlans::Entry* e : plan.tuned) {
      const RawEntry r = ToRaw(*e);
      out.Put<uint32_t>(static_cast<uint32_t>(r.name.size()));
      out.Bytes(r.name.data(), r.name.size());
      out.Put<int32_t>(r.cc_major);
      out.Put<int32_t>(r.cc_minor);
      out.Put<int32_t>(r.sm_count);
      out.Put<int64_t>(r.n);
      out.Put<int32_t>(r.b_order);
      out.Put<int32_t>(r.c_order);
      out.Put<uint32_t>(r.kernel);
      std::array<char, kConfigFieldBytes> config{};  // NUL to the end of the field
      std::memcpy(config.data(), r.config.data(), r.config.size());
      out.Bytes(config.data(), config.size());
      out.Put<int32_t>(r.splits);
      out.Put<uint32_t>(r.cluster);
    }
    out.Put<uint64_t>(out.TakeHash());
  }
  // SerializedSize promises callers this size; a writer that falls short of
  // PlanFile must fail here, not leave a caller's buffer half written.
  out.ExpectAt(plan.size, "the end of the file");
}

// Into a file descriptor: the small fields through a staging buffer, the
// arrays straight from the matrix (no copy of the file in memory). Throws
// kIoError naming `path`.
class FdSink final : public Sink {
 public:
  FdSink(int fd, const std::string& path) : fd_(fd), path_(path) { staged_.reserve(kStageBytes); }
  void Write(const void* data, size_t size) override {
    if (size > kStageBytes - staged_.size()) Flush();
    if (size >= kStageBytes) {
      WriteAll(static_cast<const uint8_t*>(data), size);
      return;
    }
    const auto* p = static_cast<const uint8_t*>(data);
    staged_.insert(staged_.end(), p, p + size);
  }
  // Writes what is staged; call it after the last Write.
  void Flush() {
    WriteAll(staged_.data(), staged_.size());
    staged_.clear();
  }

 private:
  static constexpr size_t kStageBytes = size_t{64} << 10;

  void WriteAll(const uint8_t* data, size_t size) {
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw Error(Status::kIoError, IoMessage("cannot write", path_, n < 0 ? errno : EIO));
      done += static_cast<size_t>(n);
    }
  }

  int fd_;
  std::string path_;
  std::vector<uint8_t> staged_;
};

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

size_t SerializedSize(const CompressedMatrix& m, const std::vector<TunedPlans::Entry>& tuned) {
  return PlanFile(m, tuned).size;
}

std::vector<uint8_t> Serialize(const CompressedMatrix& m,
                               const std::vector<TunedPlans::Entry>& tuned) {
  const FilePlan plan = PlanFile(m, tuned);
  std::vector<uint8_t> out(plan.size);  // one allocation of exactly the file
  BufferSink sink(out.data());
  WriteFile(m, plan, &sink);
  return out;
}

size_t SerializeInto(const CompressedMatrix& m, const std::vector<TunedPlans::Entry>& tuned,
                     uint8_t* out, size_t capacity) {
  Require(out != nullptr, Status::kNullPointer, "SerializeInto: out is null");
  const FilePlan plan = PlanFile(m, tuned);
  Require(capacity >= plan.size, Status::kInvalidValue,
          "size = " + std::to_string(capacity) + " is smaller than the " +
              std::to_string(plan.size) +
              " bytes needed (measure again: a tuned plan stored since the size was taken "
              "makes the file longer)");
  BufferSink sink(out);
  WriteFile(m, plan, &sink);
  return plan.size;
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
  const uint64_t want[kNumArrays] = {
      static_cast<uint64_t>(l.num_values()), static_cast<uint64_t>(l.num_meta_words()),
      static_cast<uint64_t>(l.num_col_indices()), has_perm ? static_cast<uint64_t>(l.rows) : 0};
  const char* names[kNumArrays] = {"values", "meta", "col_idx", "row_perm"};
  uint64_t expected_size = kHeaderSize;
  for (int i = 0; i < kNumArrays; ++i) {
    const uint64_t count = Get<uint64_t>(data, 72 + 8 * i);
    if (count != want[i]) {
      Corrupt(std::string(names[i]) + " length " + std::to_string(count) +
              " disagrees with the layout (" + std::to_string(want[i]) + ")");
    }
    expected_size += want[i] * kElemBytes[i];  // bounded: Layout::Make checked the sizes
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
  for (int i = 0; i < kNumArrays; ++i) {
    const size_t bytes = want[i] * kElemBytes[i];
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
  offset += want[0] * kElemBytes[0];
  copy(m.meta, want[1], offset);
  offset += want[1] * kElemBytes[1];
  copy(m.col_idx, want[2], offset);
  offset += want[2] * kElemBytes[2];
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
  // Refuses what Serialize refuses before a file is made.
  const FilePlan plan = PlanFile(m, tuned);
  // Write a temporary file beside the target, flush it to disk, then rename:
  // readers see the old file or the whole new one, never half of one.
  // pid + a process-wide counter: concurrent saves never share a temp file.
  static std::atomic<uint64_t> counter{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(Status::kIoError, IoMessage("cannot create", tmp, errno));
  // Streamed from the matrix: the file is never held in memory whole.
  try {
    FdSink sink(fd, tmp);
    WriteFile(m, plan, &sink);
    sink.Flush();
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
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
