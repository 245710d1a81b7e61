// File layout (all little-endian; docs/format.md has the table):
//
//   offset size field
//        0    8 magic "HINMFMT\0"
//        8    4 format version (kFileFormatVersion)
//       12    4 endianness marker 0x01020304 (as written by the host)
//       16    4 header size in bytes (kHeaderSize)
//       20    4 flags: bit 0 column_permuted, bit 1 row_perm present
//       24    8 rows (M)            32  8 cols (K)
//       40    4 tile_rows (V)       44  4 dtype
//       48    8 kept_cols (K_keep)
//       56    8 retained_saliency (IEEE double)
//       64    8 kept_weights
//       72   32 array lengths (elements): values, meta, col_idx, row_perm
//      104   32 FNV-1a 64 of each array's bytes, same order
//      136    8 FNV-1a 64 of header bytes [0, 136)
//      144      values (u16), meta (u32), col_idx (i32), row_perm (i32)
#include "cpp/hinm/serialize.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

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
constexpr uint32_t kKnownFlags = kFlagColumnPermuted | kFlagRowPerm;

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

}  // namespace

std::vector<uint8_t> Serialize(const CompressedMatrix& m) {
  m.Validate();
  const Layout& l = m.layout;
  const uint64_t counts[4] = {m.values.size(), m.meta.size(), m.col_idx.size(), m.row_perm.size()};
  const void* arrays[4] = {m.values.data(), m.meta.data(), m.col_idx.data(), m.row_perm.data()};
  const size_t elem[4] = {2, 4, 4, 4};
  size_t total = kHeaderSize;
  for (int i = 0; i < 4; ++i) total += counts[i] * elem[i];
  std::vector<uint8_t> out(total, 0);
  uint8_t* h = out.data();
  std::memcpy(h, kMagic, sizeof kMagic);
  Put<uint32_t>(h, 8, kFileFormatVersion);
  Put<uint32_t>(h, 12, kEndianMarker);
  Put<uint32_t>(h, 16, static_cast<uint32_t>(kHeaderSize));
  Put<uint32_t>(
      h, 20,
      (m.column_permuted ? kFlagColumnPermuted : 0u) | (m.row_perm.empty() ? 0u : kFlagRowPerm));
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
  Put<uint64_t>(h, kHeaderChecksumOffset, Fnv1a64(h, kHeaderChecksumOffset));
  return out;
}

CompressedMatrix Deserialize(const uint8_t* data, size_t size) {
  Require(data != nullptr || size == 0, Status::kNullPointer, "Deserialize: data is null");
  if (size < kHeaderSize) {
    Corrupt("size " + std::to_string(size) + " is smaller than the " + std::to_string(kHeaderSize) +
            "-byte header");
  }
  if (std::memcmp(data, kMagic, sizeof kMagic) != 0) Corrupt("bad magic (not a hinm file)");
  const uint32_t version = Get<uint32_t>(data, 8);
  if (version != kFileFormatVersion) {
    throw Error(Status::kVersionMismatch, "hinm file format version " + std::to_string(version) +
                                              ", this library reads " +
                                              std::to_string(kFileFormatVersion));
  }
  if (Get<uint64_t>(data, kHeaderChecksumOffset) != Fnv1a64(data, kHeaderChecksumOffset)) {
    Corrupt("header checksum mismatch");
  }
  if (Get<uint32_t>(data, 12) != kEndianMarker) Corrupt("written on a host of other endianness");
  if (Get<uint32_t>(data, 16) != kHeaderSize) Corrupt("unexpected header size");
  const uint32_t flags = Get<uint32_t>(data, 20);
  if ((flags & ~kKnownFlags) != 0) Corrupt("unknown flags " + std::to_string(flags));

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
  if (size != expected_size) {
    Corrupt("size " + std::to_string(size) + " bytes, the header implies " +
            std::to_string(expected_size) + (size < expected_size ? " (truncated)" : ""));
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
  m.column_permuted = (flags & kFlagColumnPermuted) != 0;
  m.stats.retained_saliency = Get<double>(data, 56);
  m.stats.kept_weights = Get<int64_t>(data, 64);
  try {
    m.Validate();
  } catch (const Error& e) {
    Corrupt(e.what());
  }
  return m;
}

void SaveToFile(const CompressedMatrix& m, const std::string& path) {
  const std::vector<uint8_t> bytes = Serialize(m);
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

CompressedMatrix LoadFromFile(const std::string& path) {
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
    return Deserialize(bytes.data(), bytes.size());
  } catch (const Error& e) {
    throw Error(e.status(), std::string(e.what()) + " (file '" + path + "')");
  }
}

}  // namespace hinm
