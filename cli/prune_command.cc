// `hinm prune`: dense weights from .npy / .safetensors -> HiNM -> .hinm files.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/api_check.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cpp/hinm/tensor_io.h"
#include "hinm/hinm.h"

namespace hinm_cli {

namespace {

const std::vector<FlagSpec>& Specs() {
  static const std::vector<FlagSpec> specs = {
      {"--output", "-o", true, "PATH",
       "output .hinm file (a directory with --all-2d); required"},
      {"--tensor", "", true, "NAME", "the .safetensors tensor to prune"},
      {"--all-2d", "", false, "", "prune every 2-D float tensor of a .safetensors file"},
      {"--sparsity", "", true, "S",
       "total sparsity in [0.5, 1) (default 0.75); vector sparsity = 1 - 2(1 - S)"},
      {"--vector-sparsity", "", true, "S", "fraction of columns pruned per tile, [0, 1)"},
      {"--kept-cols", "", true, "N", "explicit kept columns per tile (multiple of 4)"},
      {"--tile", "", true, "V", "rows per tile: multiple of 16 in [16, 256] (default 128)"},
      {"--dtype", "", true, "fp16|bf16", "stored value type (default fp16)"},
      {"--permute", "", true, "none|output|input|both",
       "2CP channel permutation before pruning (default none)"},
      {"--seed", "", true, "S", "seed of the permutation search (default 0)"},
      {"--saliency", "", true, "FILE.npy",
       "non-negative scores (same shape as the weight) instead of |W|"},
  };
  return specs;
}

bool IsNpy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[6] = {};
  f.read(magic, 6);
  return f.gcount() == 6 && std::memcmp(magic, "\x93NUMPY", 6) == 0;
}

bool IsFloatDType(const std::string& d) {
  return d == "F32" || d == "F16" || d == "BF16" || d == "F64";
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? " x " : "") + std::to_string(shape[i]);
  return shape.empty() ? "scalar" : s;
}

struct NamedTensor {
  std::string name;
  hinm::Tensor tensor;
};

// The tensors the flags select, each 2-D.
std::vector<NamedTensor> SelectTensors(const std::string& input, const ParsedFlags& flags) {
  if (!std::filesystem::exists(input)) throw RunError("input '" + input + "' does not exist");
  std::vector<NamedTensor> out;
  if (IsNpy(input)) {
    if (flags.Has("--tensor") || flags.Has("--all-2d")) {
      throw UsageError("--tensor and --all-2d apply to .safetensors inputs, '" + input +
                       "' is a .npy file");
    }
    out.push_back({std::filesystem::path(input).stem().string(), hinm::LoadNpy(input)});
  } else {
    const std::vector<hinm::SafetensorInfo> list = hinm::ListSafetensors(input);
    std::vector<std::string> candidates;
    for (const auto& t : list) {
      if (t.shape.size() == 2 && IsFloatDType(t.dtype)) candidates.push_back(t.name);
    }
    if (flags.Has("--tensor")) {
      const std::string name = flags.Value("--tensor");
      out.push_back({name, hinm::LoadSafetensor(input, name)});
    } else if (flags.Has("--all-2d")) {
      if (candidates.empty()) throw RunError("'" + input + "' has no 2-D float tensor");
      for (const std::string& name : candidates) {
        out.push_back({name, hinm::LoadSafetensor(input, name)});
      }
    } else if (candidates.size() == 1) {
      out.push_back({candidates[0], hinm::LoadSafetensor(input, candidates[0])});
    } else {
      std::string names;
      for (size_t i = 0; i < candidates.size() && i < 10; ++i) {
        names += (i ? ", " : "") + candidates[i];
      }
      if (candidates.size() > 10) names += ", ...";
      throw UsageError("'" + input + "' has " + std::to_string(candidates.size()) +
                       " 2-D float tensors (" + names + "): choose with --tensor NAME or --all-2d");
    }
  }
  for (const NamedTensor& t : out) {
    if (t.tensor.shape.size() != 2) {
      throw RunError("tensor '" + t.name + "' has shape " + ShapeText(t.tensor.shape) +
                     ": a 2-D weight matrix (out_features x in_features) is needed");
    }
  }
  return out;
}

// Progress bar on stderr: redrawn in place on a terminal at every percent;
// into a log (not a terminal) one line per 10% so the log stays readable.
struct Progress {
  std::string name;
  int last_percent = -1;
  bool terminal = isatty(fileno(stderr)) != 0;
};

int DrawProgress(double fraction, void* user) {
  Progress* p = static_cast<Progress*>(user);
  const int percent = static_cast<int>(fraction * 100.0 + 0.5);
  if (!p->terminal) {
    if (p->last_percent < 0 || percent / 10 != p->last_percent / 10) {
      p->last_percent = percent;
      std::fprintf(stderr, "  permuting %s: %d%%\n", p->name.c_str(), percent);
    }
    return 0;
  }
  if (percent != p->last_percent) {
    p->last_percent = percent;
    const int filled = percent * 30 / 100;
    std::fprintf(stderr, "\r  permuting %s [%s%s] %3d%%", p->name.c_str(),
                 std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(30 - filled), '.').c_str(), percent);
    std::fflush(stderr);
  }
  return 0;  // never cancel
}

std::string OutputFileFor(const std::string& output, const std::string& name, bool directory) {
  if (!directory) return output;
  std::string file = name;
  for (char& c : file) {
    if (c == '/' || c == '\\') c = '_';
  }
  return (std::filesystem::path(output) / (file + ".hinm")).string();
}

}  // namespace

std::string PruneHelp() {
  return "Usage: hinm prune INPUT [options] -o OUTPUT\n\n"
         "Prunes a dense weight matrix (out_features x in_features) to Hierarchical N:M\n"
         "sparsity and saves it as a .hinm file. INPUT is a .npy file (2-D) or a\n"
         ".safetensors file. Per tensor it prints the shape, tile rows V, kept columns\n"
         "per tile K_keep, the sparsity, the retained saliency, the compressed bytes and\n"
         "the compression ratio against fp16 dense.\n\n"
         "Sparsity: give at most one of --sparsity, --vector-sparsity, --kept-cols.\n"
         "  total 0.75 = 50% of columns per tile + 2:4; 0.875 = 75% + 2:4; 0.5 = 2:4 only.\n\n"
         "Options:\n" +
         FlagsHelp(Specs());
}

int RunPrune(const std::vector<std::string>& args) {
  const ParsedFlags flags(args, Specs());
  if (flags.positional().size() != 1) {
    throw UsageError(flags.positional().empty() ? "missing INPUT"
                                                : "expected one INPUT, got " +
                                                      std::to_string(flags.positional().size()));
  }
  if (!flags.Has("--output")) throw UsageError("missing -o OUTPUT");
  if (flags.Has("--tensor") && flags.Has("--all-2d")) {
    throw UsageError("give either --tensor or --all-2d, not both");
  }
  const int sparsity_flags = flags.Has("--sparsity") + flags.Has("--vector-sparsity") +
                             flags.Has("--kept-cols");
  if (sparsity_flags > 1) {
    throw UsageError("give at most one of --sparsity, --vector-sparsity, --kept-cols");
  }

  hinmPruneConfig_t cfg;
  CheckApi(hinmPruneConfigInit(&cfg), "hinmPruneConfigInit");
  if (flags.Has("--vector-sparsity")) {
    cfg.vector_sparsity = flags.Double("--vector-sparsity", 0.5);
    if (cfg.vector_sparsity < 0.0 || cfg.vector_sparsity >= 1.0) {
      throw UsageError("--vector-sparsity must be in [0, 1), got " +
                       flags.Value("--vector-sparsity"));
    }
  } else if (flags.Has("--kept-cols")) {
    cfg.kept_cols = flags.Int("--kept-cols", 0, 4, int64_t{1} << 31);
  } else {
    const double s = flags.Double("--sparsity", 0.75);
    if (s < 0.5 || s >= 1.0) {
      throw UsageError("--sparsity must be in [0.5, 1) (2:4 alone is 0.5), got " +
                       flags.String("--sparsity", ""));
    }
    cfg.vector_sparsity = 1.0 - 2.0 * (1.0 - s);
  }
  cfg.tile_rows = static_cast<int32_t>(flags.Int("--tile", 128, 1, 1 << 20));
  const std::string dtype = flags.String("--dtype", "fp16");
  if (dtype == "fp16") {
    cfg.value_type = HINM_R_16F;
  } else if (dtype == "bf16") {
    cfg.value_type = HINM_R_16BF;
  } else {
    throw UsageError("--dtype must be fp16 or bf16, got '" + dtype + "'");
  }
  const std::string permute = flags.String("--permute", "none");
  if (permute == "none") {
    cfg.permute = HINM_PERMUTE_NONE;
  } else if (permute == "output") {
    cfg.permute = HINM_PERMUTE_OUTPUT;
  } else if (permute == "input") {
    cfg.permute = HINM_PERMUTE_INPUT;
  } else if (permute == "both") {
    cfg.permute = HINM_PERMUTE_BOTH;
  } else {
    throw UsageError("--permute must be none, output, input or both, got '" + permute + "'");
  }
  cfg.seed = flags.Uint64("--seed", 0);

  const std::string input = flags.positional()[0];
  const std::string output = flags.Value("--output");
  const bool to_directory = flags.Has("--all-2d");
  std::vector<NamedTensor> tensors = SelectTensors(input, flags);
  hinm::Tensor saliency;
  if (flags.Has("--saliency")) {
    if (tensors.size() != 1) throw UsageError("--saliency needs a single tensor (not --all-2d)");
    saliency = hinm::LoadNpy(flags.Value("--saliency"));
    if (saliency.shape != tensors[0].tensor.shape) {
      throw RunError("--saliency has shape " + ShapeText(saliency.shape) + ", the weight " +
                     ShapeText(tensors[0].tensor.shape));
    }
  }
  if (to_directory) std::filesystem::create_directories(output);

  Handle handle;
  for (const NamedTensor& t : tensors) {
    const int64_t rows = t.tensor.shape[0], cols = t.tensor.shape[1];
    Progress progress{t.name};
    if (cfg.permute != HINM_PERMUTE_NONE) {
      cfg.progress = DrawProgress;
      cfg.progress_user_data = &progress;
    }
    const auto start = std::chrono::steady_clock::now();
    Descriptor desc;
    const hinmStatus_t status = hinmCreateDescriptor(
        handle.get(), desc.out(), rows, cols, t.tensor.data.data(), HINM_R_32F, cols,
        saliency.data.empty() ? nullptr : saliency.data.data(), cols, &cfg);
    if (progress.terminal && progress.last_percent >= 0) std::fprintf(stderr, "\n");
    CheckApi(status, "pruning '" + t.name + "'");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string path = OutputFileFor(output, t.name, to_directory);
    CheckApi(hinmSaveDescriptor(desc.get(), path.c_str()), "saving '" + path + "'");
    hinmDescriptorInfo_t info;
    CheckApi(hinmGetDescriptorInfo(desc.get(), &info, sizeof(info)), "hinmGetDescriptorInfo");
    std::printf(
        "%s: shape %lld x %lld  V %d  K_keep %lld  sparsity %.4f  retained %.4f  "
        "bytes %lld  ratio %.2fx  (%.2f s) -> %s\n",
        t.name.c_str(), static_cast<long long>(rows), static_cast<long long>(cols),
        info.tile_rows, static_cast<long long>(info.kept_cols), info.sparsity,
        info.retained_saliency, static_cast<long long>(info.compressed_bytes),
        info.compression_ratio, seconds, path.c_str());
  }
  return 0;
}

}  // namespace hinm_cli
