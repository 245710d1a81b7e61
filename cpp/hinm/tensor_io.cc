#include "cpp/hinm/tensor_io.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cpp/hinm/dense.h"
#include "cpp/hinm/error.h"

namespace hinm {

namespace {

// Both formats store little-endian data; we copy bytes straight into host
// integers and floats, so the host must be little-endian too.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tensor_io assumes a little-endian host");

[[noreturn]] void Corrupt(const std::string& what, const std::string& detail) {
  throw Error(Status::kCorruptFile, what + ": " + detail);
}

// Product of a shape, or throws kCorruptFile on a negative extent/overflow.
int64_t CheckedNumel(const std::vector<int64_t>& shape, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) Corrupt(what, "negative dimension " + std::to_string(d));
    if (__builtin_mul_overflow(n, d, &n)) Corrupt(what, "shape product overflows");
  }
  return n;
}

// -------------------------------------------------------------- files

struct FileCloser {
  void operator()(FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

File OpenForRead(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    throw Error(Status::kIoError, "cannot open '" + path + "' for reading: " + std::strerror(errno));
  }
  return f;
}

uint64_t FileSize(FILE* f, const std::string& path) {
  if (std::fseek(f, 0, SEEK_END) != 0) {
    throw Error(Status::kIoError, "cannot seek in '" + path + "': " + std::strerror(errno));
  }
  const long size = std::ftell(f);
  if (size < 0) {
    throw Error(Status::kIoError, "cannot size '" + path + "': " + std::strerror(errno));
  }
  std::rewind(f);
  return static_cast<uint64_t>(size);
}

// Reads exactly n bytes at offset (the caller checked offset + n <= size).
void ReadAt(FILE* f, uint64_t offset, void* out, size_t n, const std::string& path) {
  if (n == 0) return;
  if (offset > static_cast<uint64_t>(std::numeric_limits<long>::max()) ||
      std::fseek(f, static_cast<long>(offset), SEEK_SET) != 0 || std::fread(out, 1, n, f) != n) {
    throw Error(Status::kIoError, "cannot read " + std::to_string(n) + " bytes at offset " +
                                      std::to_string(offset) + " of '" + path + "'");
  }
}

std::vector<uint8_t> ReadWholeFile(const std::string& path) {
  File f = OpenForRead(path);
  const uint64_t size = FileSize(f.get(), path);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  ReadAt(f.get(), 0, bytes.data(), bytes.size(), path);
  return bytes;
}

// ------------------------------------------------ element conversions

enum class Elem { kF16, kBF16, kF32, kF64 };

int ElemSize(Elem e) {
  switch (e) {
    case Elem::kF16:
    case Elem::kBF16:
      return 2;
    case Elem::kF32:
      return 4;
    case Elem::kF64:
      return 8;
  }
  return 0;
}

// n elements of e, little-endian bytes -> float.
void ToFloat(const uint8_t* src, Elem e, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) {
    switch (e) {
      case Elem::kF16: {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = HalfToFloat(h);
        break;
      }
      case Elem::kBF16: {
        uint16_t b;
        std::memcpy(&b, src + 2 * i, 2);
        dst[i] = BFloat16ToFloat(b);
        break;
      }
      case Elem::kF32:
        std::memcpy(dst + i, src + 4 * i, 4);
        break;
      case Elem::kF64: {
        double d;
        std::memcpy(&d, src + 8 * i, 8);
        dst[i] = static_cast<float>(d);
        break;
      }
    }
  }
}

// ================================================================== npy

// The header is a Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// This reads exactly that grammar: string keys, and string / True / False /
// tuple-of-int values; anything else is a corrupt header.
class NpyHeaderParser {
 public:
  NpyHeaderParser(const std::string& text, const std::string& what) : s_(text), what_(what) {}

  void Parse(std::string* descr, bool* fortran, std::vector<int64_t>* shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    Expect('{');
    while (true) {
      SkipSpace();
      if (Peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = String();
      Expect(':');
      SkipSpace();
      if (key == "descr") {
        if (have_descr) Fail("duplicate key 'descr'");
        if (Peek() == '[') {
          throw Error(Status::kNotSupported, what_ + ": structured dtypes are not supported");
        }
        *descr = String();
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_fortran) Fail("duplicate key 'fortran_order'");
        *fortran = Bool();
        have_fortran = true;
      } else if (key == "shape") {
        if (have_shape) Fail("duplicate key 'shape'");
        *shape = Tuple();
        have_shape = true;
      } else {
        Fail("unexpected key '" + key + "'");
      }
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != '}') {
        Fail("expected ',' or '}'");
      }
    }
    SkipSpace();
    if (pos_ != s_.size()) Fail("trailing characters after the dict");
    if (!have_descr || !have_fortran || !have_shape) {
      Fail("the header must have 'descr', 'fortran_order' and 'shape'");
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& why) const {
    Corrupt(what_, "bad .npy header at character " + std::to_string(pos_) + ": " + why);
  }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  void Expect(char c) {
    SkipSpace();
    if (Peek() != c) Fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string String() {
    SkipSpace();
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Fail("expected a quoted string");
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\') Fail("escapes are not expected in a .npy header");
      out += s_[pos_++];
    }
    if (pos_ >= s_.size()) Fail("unterminated string");
    ++pos_;
    return out;
  }
  bool Bool() {
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    Fail("expected True or False");
  }
  std::vector<int64_t> Tuple() {
    Expect('(');
    std::vector<int64_t> dims;
    while (true) {
      SkipSpace();
      if (Peek() == ')') {
        ++pos_;
        return dims;
      }
      if (Peek() < '0' || Peek() > '9') Fail("expected a non-negative integer dimension");
      int64_t v = 0;
      while (Peek() >= '0' && Peek() <= '9') {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, Peek() - '0', &v)) {
          Fail("dimension overflows int64");
        }
        ++pos_;
      }
      if (Peek() == 'L') ++pos_;  // Python 2 long suffix
      dims.push_back(v);
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != ')') {
        Fail("expected ',' or ')' in the shape");
      }
    }
  }

  const std::string& s_;
  const std::string& what_;
  size_t pos_ = 0;
};

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicLen = 6;

std::string ShapeTuple(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

void WriteFileBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) {
    throw Error(Status::kIoError, "cannot open '" + path + "' for writing: " + std::strerror(errno));
  }
  if (std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size() ||
      std::fflush(f.get()) != 0) {
    throw Error(Status::kIoError, "cannot write '" + path + "': " + std::strerror(errno));
  }
  FILE* raw = f.release();
  if (std::fclose(raw) != 0) {
    throw Error(Status::kIoError, "cannot close '" + path + "': " + std::strerror(errno));
  }
}

// ============================================================ safetensors

// A strict JSON parser (RFC 8259) for the safetensors header: objects keep
// their key order, duplicate keys are an error, nesting is bounded.
struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  bool is_integer = false;  // an integer literal that fits int64
  int64_t integer = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;
};

class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& what) : s_(text), what_(what) {}

  Json ParseDocument() {
    Json v = Value(0);
    SkipSpace();
    if (pos_ != s_.size()) Fail("trailing characters after the JSON value");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 64;

  [[noreturn]] void Fail(const std::string& why) const {
    Corrupt(what_, "bad JSON header at byte " + std::to_string(pos_) + ": " + why);
  }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool AtEnd() const { return pos_ >= s_.size(); }
  void SkipSpace() {
    while (!AtEnd() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' ||
                        s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  void Expect(char c) {
    SkipSpace();
    if (AtEnd() || s_[pos_] != c) Fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  bool Literal(const char* word) {
    const size_t n = std::strlen(word);
    if (s_.compare(pos_, n, word) == 0) {
      pos_ += n;
      return true;
    }
    return false;
  }

  Json Value(int depth) {
    if (depth > kMaxDepth) Fail("nesting deeper than " + std::to_string(kMaxDepth));
    SkipSpace();
    if (AtEnd()) Fail("unexpected end");
    Json v;
    const char c = s_[pos_];
    if (c == '{') {
      v.kind = Json::Kind::kObject;
      ++pos_;
      SkipSpace();
      if (Peek() == '}') {
        ++pos_;
        return v;
      }
      std::set<std::string> keys;
      while (true) {
        SkipSpace();
        if (Peek() != '"') Fail("expected a string key");
        std::string key = String();
        if (!keys.insert(key).second) Fail("duplicate key \"" + key + "\"");
        Expect(':');
        v.object.emplace_back(std::move(key), Value(depth + 1));
        SkipSpace();
        if (Peek() == ',') {
          ++pos_;
        } else if (Peek() == '}') {
          ++pos_;
          return v;
        } else {
          Fail("expected ',' or '}'");
        }
      }
    }
    if (c == '[') {
      v.kind = Json::Kind::kArray;
      ++pos_;
      SkipSpace();
      if (Peek() == ']') {
        ++pos_;
        return v;
      }
      while (true) {
        v.array.push_back(Value(depth + 1));
        SkipSpace();
        if (Peek() == ',') {
          ++pos_;
        } else if (Peek() == ']') {
          ++pos_;
          return v;
        } else {
          Fail("expected ',' or ']'");
        }
      }
    }
    if (c == '"') {
      v.kind = Json::Kind::kString;
      v.string = String();
      return v;
    }
    if (Literal("true")) {
      v.kind = Json::Kind::kBool;
      v.boolean = true;
      return v;
    }
    if (Literal("false")) {
      v.kind = Json::Kind::kBool;
      return v;
    }
    if (Literal("null")) return v;
    if (c == '-' || (c >= '0' && c <= '9')) return Number();
    Fail(std::string("unexpected character '") + c + "'");
  }

  Json Number() {
    const size_t start = pos_;
    bool integer = true;
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (Peek() >= '1' && Peek() <= '9') {
      while (Peek() >= '0' && Peek() <= '9') ++pos_;
    } else {
      Fail("bad number");
    }
    if (Peek() == '.') {
      integer = false;
      ++pos_;
      if (!(Peek() >= '0' && Peek() <= '9')) Fail("bad number: digits expected after '.'");
      while (Peek() >= '0' && Peek() <= '9') ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      integer = false;
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!(Peek() >= '0' && Peek() <= '9')) Fail("bad number: digits expected in exponent");
      while (Peek() >= '0' && Peek() <= '9') ++pos_;
    }
    const std::string text = s_.substr(start, pos_ - start);
    Json v;
    v.kind = Json::Kind::kNumber;
    v.number = std::strtod(text.c_str(), nullptr);
    if (integer) {
      errno = 0;
      const long long i = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == 0) {
        v.is_integer = true;
        v.integer = static_cast<int64_t>(i);
      }
    }
    return v;
  }

  unsigned Hex4() {
    if (pos_ + 4 > s_.size()) Fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        Fail("bad hex digit in \\u escape");
      }
    }
    return v;
  }

  static void AppendUtf8(unsigned cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string String() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (AtEnd()) Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return out;
      if (c < 0x20) Fail("control character in a string");
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (AtEnd()) Fail("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = Hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
            if (!(Peek() == '\\' && pos_ + 1 < s_.size() && s_[pos_ + 1] == 'u')) {
              Fail("unpaired surrogate in \\u escape");
            }
            pos_ += 2;
            const unsigned lo = Hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) Fail("bad low surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            Fail("unpaired low surrogate in \\u escape");
          }
          AppendUtf8(cp, &out);
          break;
        }
        default:
          Fail(std::string("bad escape '\\") + e + "'");
      }
    }
  }

  const std::string& s_;
  const std::string& what_;
  size_t pos_ = 0;
};

// Bytes per element of every safetensors dtype; 0 for an unknown one.
int SafetensorDTypeSize(const std::string& dtype) {
  static const std::pair<const char*, int> kSizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
      {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},    {"U32", 4},     {"F32", 4},
      {"F64", 8},  {"I64", 8}, {"U64", 8}};
  for (const auto& [name, size] : kSizes) {
    if (dtype == name) return size;
  }
  return 0;
}

// Safetensors limits the header to 100 MB; so do we (no giant allocations
// from a corrupt length).
constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;

struct SafetensorsHeader {
  uint64_t data_offset = 0;  // 8 + header length
  std::vector<SafetensorInfo> tensors;
};

SafetensorsHeader ReadSafetensorsHeader(FILE* f, const std::string& path) {
  const uint64_t file_size = FileSize(f, path);
  if (file_size < 8) Corrupt(path, "too short for a safetensors file (" + std::to_string(file_size) + " bytes)");
  uint64_t n = 0;
  ReadAt(f, 0, &n, 8, path);
  if (n > file_size - 8) {
    Corrupt(path, "header length " + std::to_string(n) + " exceeds the file size " +
                      std::to_string(file_size));
  }
  if (n > kMaxSafetensorsHeader) Corrupt(path, "header length " + std::to_string(n) + " > 100 MB");
  std::string text(static_cast<size_t>(n), '\0');
  ReadAt(f, 8, text.data(), text.size(), path);
  const Json root = JsonParser(text, path).ParseDocument();
  if (root.kind != Json::Kind::kObject) Corrupt(path, "the header is not a JSON object");

  SafetensorsHeader h;
  h.data_offset = 8 + n;
  const uint64_t data_size = file_size - h.data_offset;
  for (const auto& [name, entry] : root.object) {
    if (name == "__metadata__") {
      if (entry.kind != Json::Kind::kObject) Corrupt(path, "__metadata__ is not an object");
      continue;
    }
    const std::string where = "tensor \"" + name + "\"";
    if (entry.kind != Json::Kind::kObject) Corrupt(path, where + " is not an object");
    const Json* dtype = nullptr;
    const Json* shape = nullptr;
    const Json* offsets = nullptr;
    for (const auto& [key, value] : entry.object) {
      if (key == "dtype") {
        dtype = &value;
      } else if (key == "shape") {
        shape = &value;
      } else if (key == "data_offsets") {
        offsets = &value;
      } else {
        Corrupt(path, where + " has an unexpected key \"" + key + "\"");
      }
    }
    if (dtype == nullptr || shape == nullptr || offsets == nullptr) {
      Corrupt(path, where + " needs dtype, shape and data_offsets");
    }
    if (dtype->kind != Json::Kind::kString) Corrupt(path, where + ": dtype is not a string");
    if (shape->kind != Json::Kind::kArray) Corrupt(path, where + ": shape is not an array");
    if (offsets->kind != Json::Kind::kArray || offsets->array.size() != 2) {
      Corrupt(path, where + ": data_offsets is not [begin, end]");
    }
    SafetensorInfo info;
    info.name = name;
    info.dtype = dtype->string;
    for (const Json& d : shape->array) {
      if (d.kind != Json::Kind::kNumber || !d.is_integer || d.integer < 0) {
        Corrupt(path, where + ": shape entries must be non-negative integers");
      }
      info.shape.push_back(d.integer);
    }
    for (int i = 0; i < 2; ++i) {
      const Json& o = offsets->array[i];
      if (o.kind != Json::Kind::kNumber || !o.is_integer || o.integer < 0) {
        Corrupt(path, where + ": data_offsets must be non-negative integers");
      }
    }
    info.begin = static_cast<uint64_t>(offsets->array[0].integer);
    info.end = static_cast<uint64_t>(offsets->array[1].integer);
    if (info.begin > info.end || info.end > data_size) {
      Corrupt(path, where + ": data_offsets [" + std::to_string(info.begin) + ", " +
                        std::to_string(info.end) + "] outside the " + std::to_string(data_size) +
                        "-byte data section");
    }
    const int64_t numel = CheckedNumel(info.shape, path + ": " + where);
    const int esize = SafetensorDTypeSize(info.dtype);
    if (esize > 0) {
      int64_t bytes = 0;
      if (__builtin_mul_overflow(numel, static_cast<int64_t>(esize), &bytes) ||
          static_cast<uint64_t>(bytes) != info.end - info.begin) {
        Corrupt(path, where + ": " + std::to_string(info.end - info.begin) +
                          " data bytes do not match shape x dtype " + info.dtype);
      }
    }
    h.tensors.push_back(std::move(info));
  }
  return h;
}

}  // namespace

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// ------------------------------------------------------------------- npy

Tensor ParseNpy(const uint8_t* bytes, size_t size, const std::string& what) {
  if (size < kNpyMagicLen + 2 || std::memcmp(bytes, kNpyMagic, kNpyMagicLen) != 0) {
    Corrupt(what, "not a .npy file (bad magic)");
  }
  const int major = bytes[6];
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    if (size < 10) Corrupt(what, "truncated .npy preamble");
    uint16_t len16;
    std::memcpy(&len16, bytes + 8, 2);
    header_len = len16;
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) Corrupt(what, "truncated .npy preamble");
    uint32_t len32;
    std::memcpy(&len32, bytes + 8, 4);
    header_len = len32;
    header_start = 12;
  } else {
    throw Error(Status::kNotSupported,
                what + ": .npy format version " + std::to_string(major) + " is not supported (1-3)");
  }
  if (header_len > size - header_start) {
    Corrupt(what, "header length " + std::to_string(header_len) + " runs past the end (" +
                      std::to_string(size) + " bytes)");
  }
  const std::string header(reinterpret_cast<const char*>(bytes + header_start), header_len);
  std::string descr;
  bool fortran = false;
  Tensor t;
  NpyHeaderParser(header, what).Parse(&descr, &fortran, &t.shape);

  if (descr.size() == 3 && descr[0] == '>') {
    throw Error(Status::kNotSupported, what + ": big-endian dtype '" + descr + "' is not supported");
  }
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '=')) {
    throw Error(Status::kNotSupported,
                what + ": dtype '" + descr + "' is not supported (use float16, float32 or float64)");
  }
  Elem elem;
  const std::string kind = descr.substr(1);
  if (kind == "f2") {
    elem = Elem::kF16;
  } else if (kind == "f4") {
    elem = Elem::kF32;
  } else if (kind == "f8") {
    elem = Elem::kF64;
  } else {
    throw Error(Status::kNotSupported,
                what + ": dtype '" + descr + "' is not supported (use float16, float32 or float64)");
  }
  if (fortran) {
    throw Error(Status::kNotSupported,
                what + ": Fortran-order arrays are not supported (save with np.ascontiguousarray)");
  }
  const int64_t numel = CheckedNumel(t.shape, what);
  const size_t data_start = header_start + header_len;
  int64_t data_bytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<int64_t>(ElemSize(elem)), &data_bytes)) {
    Corrupt(what, "data size overflows");
  }
  if (static_cast<uint64_t>(data_bytes) != size - data_start) {
    Corrupt(what, "shape " + ShapeTuple(t.shape) + " of " + descr + " needs " +
                      std::to_string(data_bytes) + " data bytes, the file has " +
                      std::to_string(size - data_start));
  }
  t.data.resize(static_cast<size_t>(numel));
  ToFloat(bytes + data_start, elem, numel, t.data.data());
  return t;
}

Tensor LoadNpy(const std::string& path) {
  const std::vector<uint8_t> bytes = ReadWholeFile(path);
  return ParseNpy(bytes.data(), bytes.size(), path);
}

std::vector<uint8_t> EncodeNpy(const Tensor& tensor) {
  for (int64_t d : tensor.shape) {
    Require(d >= 0, Status::kInvalidValue, "SaveNpy: negative dimension " + std::to_string(d));
  }
  Require(static_cast<int64_t>(tensor.data.size()) == tensor.numel(), Status::kInvalidValue,
          "SaveNpy: shape " + ShapeTuple(tensor.shape) + " holds " +
              std::to_string(tensor.numel()) + " values, data has " +
              std::to_string(tensor.data.size()));
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + ShapeTuple(tensor.shape) + ", }";
  // Pad with spaces and a final newline so the data starts 64-byte aligned.
  const bool v2 = header.size() + 1 + 10 > 65535;
  const size_t preamble = v2 ? 12 : 10;
  const size_t total = (preamble + header.size() + 1 + 63) / 64 * 64;
  header.append(total - preamble - header.size() - 1, ' ');
  header += '\n';
  std::vector<uint8_t> out(kNpyMagic, kNpyMagic + kNpyMagicLen);
  out.push_back(v2 ? 2 : 1);
  out.push_back(0);
  const uint32_t len = static_cast<uint32_t>(header.size());
  out.push_back(static_cast<uint8_t>(len & 0xff));
  out.push_back(static_cast<uint8_t>((len >> 8) & 0xff));
  if (v2) {
    out.push_back(static_cast<uint8_t>((len >> 16) & 0xff));
    out.push_back(static_cast<uint8_t>((len >> 24) & 0xff));
  }
  out.insert(out.end(), header.begin(), header.end());
  const size_t at = out.size();
  out.resize(at + tensor.data.size() * 4);
  if (!tensor.data.empty()) std::memcpy(out.data() + at, tensor.data.data(), tensor.data.size() * 4);
  return out;
}

void SaveNpy(const std::string& path, const Tensor& tensor) {
  WriteFileBytes(path, EncodeNpy(tensor));
}

// ----------------------------------------------------------- safetensors

std::vector<SafetensorInfo> ListSafetensors(const std::string& path) {
  File f = OpenForRead(path);
  return ReadSafetensorsHeader(f.get(), path).tensors;
}

Tensor LoadSafetensor(const std::string& path, const std::string& name) {
  File f = OpenForRead(path);
  const SafetensorsHeader h = ReadSafetensorsHeader(f.get(), path);
  const SafetensorInfo* info = nullptr;
  for (const SafetensorInfo& t : h.tensors) {
    if (t.name == name) info = &t;
  }
  if (info == nullptr) {
    std::string names;
    for (size_t i = 0; i < h.tensors.size() && i < 20; ++i) {
      names += (i ? ", " : "") + h.tensors[i].name;
    }
    if (h.tensors.size() > 20) names += ", ...";
    throw Error(Status::kInvalidValue,
                path + ": no tensor named \"" + name + "\" (has: " + names + ")");
  }
  Elem elem;
  if (info->dtype == "F32") {
    elem = Elem::kF32;
  } else if (info->dtype == "F16") {
    elem = Elem::kF16;
  } else if (info->dtype == "BF16") {
    elem = Elem::kBF16;
  } else if (info->dtype == "F64") {
    elem = Elem::kF64;
  } else {
    throw Error(Status::kNotSupported, path + ": tensor \"" + name + "\" has dtype " +
                                           info->dtype + " (supported: F32, F16, BF16, F64)");
  }
  Tensor t;
  t.shape = info->shape;
  const int64_t numel = t.numel();  // validated against the byte range already
  std::vector<uint8_t> raw(static_cast<size_t>(info->end - info->begin));
  ReadAt(f.get(), h.data_offset + info->begin, raw.data(), raw.size(), path);
  t.data.resize(static_cast<size_t>(numel));
  ToFloat(raw.data(), elem, numel, t.data.data());
  return t;
}

}  // namespace hinm
