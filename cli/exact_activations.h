// The random B the CLI multiplies by (`hinm spmm`, `hinm tune`): values k/64
// with |k| <= 64, exact in fp16 and bf16, so a product's error is the
// kernel's alone. Drawn from the caller's generator, one value per element
// in storage order.
#ifndef HINM_CLI_EXACT_ACTIVATIONS_H_
#define HINM_CLI_EXACT_ACTIVATIONS_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "cli/half_bits.h"

namespace hinm_cli {

struct ExactActivations {
  std::vector<float> values;  // as floats (the host reference's input)
  std::vector<uint16_t> bits;  // the same values as fp16 or bf16 bit patterns
};

inline ExactActivations RandomExactActivations(size_t count, bool bf16, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> dist(-64, 64);
  ExactActivations a;
  a.values.resize(count);
  a.bits.resize(count);
  for (size_t i = 0; i < count; ++i) {
    a.values[i] = static_cast<float>(dist(rng)) / 64.0f;
    a.bits[i] = bf16 ? ExactFloatToBFloat16(a.values[i]) : ExactFloatToHalf(a.values[i]);
  }
  return a;
}

}  // namespace hinm_cli

#endif  // HINM_CLI_EXACT_ACTIVATIONS_H_
