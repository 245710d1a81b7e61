// Folding a producer layer's output permutation into this layer's gather.
//
// A layer run with RowOrder::kPermuted writes its output H with row p holding
// channel perm[p] (perm = the producer's row_perm, hinmGetRowPermutation).
// The next layer reads H as its B: its input channel c now sits in row
// inverse(perm)[c]. Rewriting every col_idx entry c -> inverse(perm)[c] once,
// at setup, makes that layer consume the permuted H directly: the kernel's
// row gather does the permutation for free and no pass undoes it in between.
#ifndef HINM_FOLD_PERMUTATION_H_
#define HINM_FOLD_PERMUTATION_H_

#include <cstdint>

#include "cpp/hinm/compressed_matrix.h"

namespace hinm {

// A copy of m whose B is expected in the order perm (row p of B = original
// input channel perm[p]); everything but col_idx is unchanged, so the result
// equals m times the permuted B, bit for bit. Padding slots stay kPadColumn.
// perm: count == m.layout.cols entries, a permutation of [0, K).
// Throws Error(kNullPointer) for a null perm, Error(kInvalidValue) if count
// differs from K or perm is not a permutation (the message names the entry).
CompressedMatrix FoldInputPermutation(const CompressedMatrix& m, const int32_t* perm,
                                      int64_t count);

}  // namespace hinm

#endif  // HINM_FOLD_PERMUTATION_H_
