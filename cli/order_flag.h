// The `--order feature|token` option of the GPU commands (`hinm spmm`,
// `hinm tune`): how B and C are stored.
#ifndef HINM_CLI_ORDER_FLAG_H_
#define HINM_CLI_ORDER_FLAG_H_

#include <string>

#include "cli/flags.h"
#include "hinm/hinm.h"

namespace hinm_cli {

// "feature" (the default) or "token"; anything else is a UsageError.
inline hinmOrder_t OrderFlag(const ParsedFlags& flags) {
  const std::string text = flags.String("--order", "feature");
  if (text == "feature") return HINM_ORDER_FEATURE_MAJOR;
  if (text == "token") return HINM_ORDER_TOKEN_MAJOR;
  throw UsageError("--order must be feature or token, got '" + text + "'");
}

inline const char* OrderName(hinmOrder_t o) {
  return o == HINM_ORDER_TOKEN_MAJOR ? "token" : "feature";
}

}  // namespace hinm_cli

#endif  // HINM_CLI_ORDER_FLAG_H_
