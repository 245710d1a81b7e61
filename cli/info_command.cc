// `hinm info`: what a .hinm file holds.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/api_check.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/tuned_plans.h"
#include "hinm/hinm.h"

namespace hinm_cli {

namespace {

const char* TypeName(hinmDataType_t t) {
  switch (t) {
    case HINM_R_16F:
      return "fp16";
    case HINM_R_16BF:
      return "bf16";
    case HINM_R_32F:
      return "fp32";
  }
  return "unknown";
}

}  // namespace

std::string InfoHelp() {
  return "Usage: hinm info FILE.hinm\n\n"
         "Prints the shape, tiling, sparsity, retained saliency, sizes and permutations\n"
         "of a saved HiNM matrix (after checking the file's checksums), and the plans\n"
         "`hinm tune` or hinmSpMMSearch stored in it.\n";
}

int RunInfo(const std::vector<std::string>& args) {
  const ParsedFlags flags(args, {});
  if (flags.positional().size() != 1) throw UsageError("expected one FILE.hinm");
  const std::string path = flags.positional()[0];
  Handle handle;
  Descriptor desc;
  CheckApi(hinmLoadDescriptor(handle.get(), desc.out(), path.c_str()), "loading '" + path + "'");
  hinmDescriptorInfo_t i;
  CheckApi(hinmGetDescriptorInfo(desc.get(), &i, sizeof(i)), "hinmGetDescriptorInfo");
  std::printf("file:               %s\n", path.c_str());
  std::printf("shape (M x K):      %lld x %lld\n", static_cast<long long>(i.rows),
              static_cast<long long>(i.cols));
  std::printf("tile rows (V):      %d\n", i.tile_rows);
  std::printf("tiles:              %lld\n", static_cast<long long>(i.num_tiles));
  std::printf("kept cols (K_keep): %lld\n", static_cast<long long>(i.kept_cols));
  std::printf("value type:         %s\n", TypeName(i.value_type));
  std::printf("sparsity:           %.4f\n", i.sparsity);
  std::printf("vector sparsity:    %.4f\n", i.vector_sparsity);
  std::printf("retained saliency:  %.4f\n", i.retained_saliency);
  std::printf("compressed bytes:   %lld\n", static_cast<long long>(i.compressed_bytes));
  std::printf("dense fp16 bytes:   %lld\n", static_cast<long long>(i.dense_bytes));
  std::printf("compression ratio:  %.2fx\n", i.compression_ratio);
  std::printf("row permutation:    %s\n", i.has_row_permutation ? "yes" : "no");
  std::printf("column permutation: %s\n", i.has_column_permutation ? "yes" : "no");
  PrintTunedPlans(desc.get());
  return 0;
}

}  // namespace hinm_cli
