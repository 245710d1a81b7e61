// Command-line parsing for the `hinm` tool: declared flags only, strict
// numbers, and errors that say which flag and value were wrong.
#ifndef HINM_CLI_FLAGS_H_
#define HINM_CLI_FLAGS_H_

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace hinm_cli {

// A mistake in the command line: printed with a usage hint, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure while running a valid command: exit code 1.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FlagSpec {
  std::string name;        // "--tile"
  std::string short_name;  // "-o" or ""
  bool takes_value;
  std::string metavar;     // "N" (for help)
  std::string help;
};

// The parsed command line of one subcommand.
class ParsedFlags {
 public:
  // Parses args (after the subcommand name) against specs. Accepts
  // "--flag value", "--flag=value", short aliases, and "--" to end flags.
  // Throws UsageError for unknown flags, missing values and repeated flags.
  ParsedFlags(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs);

  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  // The value of a flag that takes one (Has must be true).
  const std::string& Value(const std::string& name) const { return values_.at(name); }
  const std::vector<std::string>& positional() const { return positional_; }

  // Typed values with the default when absent; UsageError on bad text.
  std::string String(const std::string& name, const std::string& def) const;
  int64_t Int(const std::string& name, int64_t def, int64_t min, int64_t max) const;
  // A comma-separated list of such integers ("1,16,128"), `def` when absent;
  // an empty item is a UsageError.
  std::vector<int64_t> IntList(const std::string& name, const std::string& def, int64_t min,
                               int64_t max) const;
  uint64_t Uint64(const std::string& name, uint64_t def) const;
  double Double(const std::string& name, double def) const;

 private:
  std::map<std::string, std::string> values_;  // flags without a value map to ""
  std::vector<std::string> positional_;
};

// Help text of the flags, one per line.
std::string FlagsHelp(const std::vector<FlagSpec>& specs);

}  // namespace hinm_cli

#endif  // HINM_CLI_FLAGS_H_
