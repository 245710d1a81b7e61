// The subcommands of the `hinm` tool. Each takes the arguments after its
// name, prints its report on stdout, and returns the process exit code
// (0 success, 1 failure); command-line mistakes throw UsageError (exit 2),
// failures while running throw RunError (exit 1).
#ifndef HINM_CLI_COMMANDS_H_
#define HINM_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace hinm_cli {

struct Command {
  const char* name;
  const char* summary;                                  // one line for `hinm --help`
  int (*run)(const std::vector<std::string>& args);
  std::string (*help)();                                // `hinm <cmd> --help`
};

int RunPrune(const std::vector<std::string>& args);
std::string PruneHelp();
int RunInfo(const std::vector<std::string>& args);
std::string InfoHelp();
int RunSpmm(const std::vector<std::string>& args);
std::string SpmmHelp();
int RunTune(const std::vector<std::string>& args);
std::string TuneHelp();

}  // namespace hinm_cli

#endif  // HINM_CLI_COMMANDS_H_
