// `hinm`: prune weights to HiNM, inspect and check .hinm files, through the
// C API (docs/cli.md). Exit codes: 0 success, 1 failure, 2 usage error.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "hinm/hinm.h"

namespace {

using hinm_cli::Command;

const Command kCommands[] = {
    {"prune", "prune dense weights (.npy / .safetensors) to HiNM and save .hinm files",
     hinm_cli::RunPrune, hinm_cli::PruneHelp},
    {"info", "print what a .hinm file holds", hinm_cli::RunInfo, hinm_cli::InfoHelp},
    {"spmm", "run the SpMM of a .hinm file on random activations and check it",
     hinm_cli::RunSpmm, hinm_cli::SpmmHelp},
    {"tune", "time the plans of a .hinm file on this GPU and save them with it (needs a GPU)",
     hinm_cli::RunTune, hinm_cli::TuneHelp},
};

void PrintHelp() {
  std::printf(
      "hinm %d.%d.%d: Hierarchical N:M sparse GEMM for NVIDIA Sparse Tensor Cores.\n\n"
      "Usage: hinm <command> [options]\n       hinm <command> --help\n       hinm --version\n\n"
      "Commands:\n",
      HINM_VERSION_MAJOR, HINM_VERSION_MINOR, HINM_VERSION_PATCH);
  for (const Command& c : kCommands) std::printf("  %-8s %s\n", c.name, c.summary);
  std::printf("\nExit codes: 0 success, 1 failure (or a failed check), 2 usage error.\n");
}

int Usage(const std::string& where, const std::string& message) {
  std::fprintf(stderr, "%s: error: %s\nRun '%s --help' for usage.\n", where.c_str(),
               message.c_str(), where.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    PrintHelp();
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintHelp();
    return 0;
  }
  if (args[0] == "--version") {
    const int v = hinmGetVersion();
    std::printf("hinm %d.%d.%d (library %d.%d.%d)\n", HINM_VERSION_MAJOR, HINM_VERSION_MINOR,
                HINM_VERSION_PATCH, v / 10000, v / 100 % 100, v % 100);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (args[0] != c.name) continue;
    const std::string where = std::string("hinm ") + c.name;
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    for (const std::string& a : rest) {
      if (a == "--") break;
      if (a == "--help" || a == "-h") {
        std::printf("%s", c.help().c_str());
        return 0;
      }
    }
    try {
      return c.run(rest);
    } catch (const hinm_cli::UsageError& e) {
      return Usage(where, e.what());
    } catch (const std::exception& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "%s: error: %s\n", where.c_str(), e.what());
      return 1;
    }
  }
  return Usage("hinm", "unknown command '" + args[0] + "'");
}
