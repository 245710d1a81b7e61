#include "cli/flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace hinm_cli {

namespace {

const FlagSpec* Find(const std::vector<FlagSpec>& specs, const std::string& token) {
  for (const FlagSpec& s : specs) {
    if (token == s.name || (!s.short_name.empty() && token == s.short_name)) return &s;
  }
  return nullptr;
}

// text as an integer in [min, max], else a UsageError naming the option.
int64_t ParseInt(const std::string& name, const std::string& text, int64_t min, int64_t max) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    throw UsageError("option '" + name + "' expects an integer, got '" + text + "'");
  }
  if (v < min || v > max) {
    throw UsageError("option '" + name + "' must be in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "], got " + text);
  }
  return v;
}

}  // namespace

ParsedFlags::ParsedFlags(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs) {
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (flags_done || a.empty() || a[0] != '-' || a == "-") {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    const FlagSpec* spec = Find(specs, name);
    if (spec == nullptr) throw UsageError("unknown option '" + name + "'");
    if (values_.count(spec->name)) throw UsageError("option '" + spec->name + "' given twice");
    if (spec->takes_value) {
      if (!inline_value) {
        if (i + 1 >= args.size()) {
          throw UsageError("option '" + spec->name + "' needs a value (" + spec->metavar + ")");
        }
        value = args[++i];
      }
    } else if (inline_value) {
      throw UsageError("option '" + spec->name + "' takes no value");
    }
    values_[spec->name] = value;
  }
}

std::string ParsedFlags::String(const std::string& name, const std::string& def) const {
  return Has(name) ? Value(name) : def;
}

int64_t ParsedFlags::Int(const std::string& name, int64_t def, int64_t min, int64_t max) const {
  return Has(name) ? ParseInt(name, Value(name), min, max) : def;
}

std::vector<int64_t> ParsedFlags::IntList(const std::string& name, const std::string& def,
                                          int64_t min, int64_t max) const {
  const std::string text = String(name, def);
  std::vector<int64_t> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    out.push_back(ParseInt(name, text.substr(start, comma - start), min, max));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

uint64_t ParsedFlags::Uint64(const std::string& name, uint64_t def) const {
  if (!Has(name)) return def;
  const std::string& text = Value(name);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno == ERANGE) {
    throw UsageError("option '" + name + "' expects a non-negative integer, got '" + text + "'");
  }
  return v;
}

double ParsedFlags::Double(const std::string& name, double def) const {
  if (!Has(name)) return def;
  const std::string& text = Value(name);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    throw UsageError("option '" + name + "' expects a number, got '" + text + "'");
  }
  return v;
}

std::string FlagsHelp(const std::vector<FlagSpec>& specs) {
  std::ostringstream os;
  for (const FlagSpec& s : specs) {
    std::string left = "  ";
    if (!s.short_name.empty()) left += s.short_name + ", ";
    left += s.name;
    if (s.takes_value) left += " " + s.metavar;
    os << left;
    if (left.size() < 30) {
      os << std::string(30 - left.size(), ' ');
    } else {
      os << "\n" << std::string(30, ' ');
    }
    os << s.help << "\n";
  }
  return os.str();
}

}  // namespace hinm_cli
