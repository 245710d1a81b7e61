// The one definition of the HiNM compressed layout.
//
// Everything that reads or writes a compressed HiNM matrix -- compression,
// decompression, the CPU reference SpMM, save/load, and (by contract, pinned
// by the GPU tests) the CUDA kernels -- derives its addresses from this file.
// docs/format.md has the same diagrams with more words.
//
// Logical structure (M x K weight, tile height V, K_keep kept columns/tile):
//
//   tile t = rows [t*V, (t+1)*V) of the (row-permuted) weight
//   kept slots s = 0 .. K_keep_pad-1 of tile t; slot s reads input column
//       col_idx[t*K_keep_pad + s]  (global column of B, or kPadColumn)
//   2:4 groups = slots [4q, 4q+4); every row keeps 2 of each group
//
// Physical arrays, all blocked by (tile, column block cb, row block rb) where
// a row block is 16 rows and a column block is 32 kept slots = 16 stored
// values per row -- exactly one mma.sp.m16n8k32 A operand:
//
//   values   [tile][cb][rb][lane 0..31][8]  (fp16/bf16 bits, 256 per block)
//            lane L holds its mma.sp A fragment {a0..a7} (16 bytes, one
//            vector load): with g = L/4, t = L%4,
//              a0,a1 = row g,   cols 2t, 2t+1       a4,a5 = row g,   cols 2t+8, 2t+9
//              a2,a3 = row g+8, cols 2t, 2t+1       a6,a7 = row g+8, cols 2t+8, 2t+9
//            (cols are compressed columns 0..15 of the block; compressed
//            column c holds the (c%2)-th kept value of group c/2.)
//   meta     [tile][cb][rb][16] uint32       (64 bytes per block)
//            word w = 2*g + h (g = 0..7, h = 0..1), read by lane 4g+h
//            (sparsity selector 0: lanes 0,1 of each quad supply metadata):
//              bits  0..15: row g,   groups 4h .. 4h+3 of the block, 4 bits each
//              bits 16..31: row g+8, groups 4h .. 4h+3
//            a group's nibble is i0 | (i1 << 2), i0 < i1 the positions (0..3)
//            of the two kept values inside the group of 4 slots.
//   col_idx  [tile][K_keep_pad] int32        global input column per slot
//   row_perm [M] int32 (optional)            compressed row p is original row
//                                            row_perm[p]; rows p >= M are padding
//
// Padding, invisible to callers: rows up to a multiple of V (zero values,
// never stored to C); slots up to a multiple of 32 (col_idx = kPadColumn,
// zero values, metadata 0|1<<2). Kernels must read kPadColumn as a zero row.
#ifndef HINM_LAYOUT_H_
#define HINM_LAYOUT_H_

#include <cstdint>

namespace hinm {

enum class DType : int32_t {
  kFloat16 = 0,
  kBFloat16 = 1,
  kFloat32 = 2,  // accepted as dense input only; compressed values are 16-bit
};

// Bytes per element of a dtype.
int64_t DTypeSize(DType dtype);
// "float16", "bfloat16", "float32".
const char* DTypeName(DType dtype);

// Format constants (the mma.sp.m16n8k32 operand shape).
inline constexpr int kGroupSize = 4;        // 2:4: groups of 4 slots
inline constexpr int kGroupKept = 2;        //      of which 2 are kept
inline constexpr int kBlockRows = 16;       // rows per block (mma M)
inline constexpr int kBlockSlots = 32;      // kept slots per block (mma K)
inline constexpr int kValuesPerBlock = kBlockRows * kBlockSlots / 2;  // 256
inline constexpr int kMetaWordsPerBlock = 16;
inline constexpr int kMinTileRows = 16;
inline constexpr int kMaxTileRows = 256;
inline constexpr int32_t kPadColumn = -1;  // col_idx of a padding slot
inline constexpr uint32_t kPadNibble = 0u | (1u << 2);  // metadata of an all-zero group

// Shape parameters of one compressed matrix plus every derived size and
// address. Construct with Layout::Make, which validates.
struct Layout {
  int64_t rows = 0;       // M, output channels (original, unpadded)
  int64_t cols = 0;       // K, input channels
  int32_t tile_rows = 0;  // V: rows per tile, multiple of 16 in [16, 256]
  int64_t kept_cols = 0;  // K_keep: kept slots per tile, multiple of 4,
                          // 4 <= K_keep <= round_up(K, 4)
  DType dtype = DType::kFloat16;  // of the stored values (fp16 or bf16)

  // Throws hinm::Error (status kInvalidValue / kNotSupported) on bad input.
  static Layout Make(int64_t rows, int64_t cols, int32_t tile_rows,
                     int64_t kept_cols, DType dtype);

  int64_t num_tiles() const { return (rows + tile_rows - 1) / tile_rows; }
  int64_t padded_rows() const { return num_tiles() * tile_rows; }
  int64_t padded_slots() const {  // K_keep_pad
    return (kept_cols + kBlockSlots - 1) / kBlockSlots * kBlockSlots;
  }
  int64_t col_blocks() const { return padded_slots() / kBlockSlots; }
  int64_t row_blocks_per_tile() const { return tile_rows / kBlockRows; }

  int64_t num_values() const { return padded_rows() * padded_slots() / 2; }
  int64_t num_meta_words() const { return padded_rows() * padded_slots() / 32; }
  int64_t num_col_indices() const { return num_tiles() * padded_slots(); }

  // Index of block (tile, cb, rb) in block order.
  int64_t block_index(int64_t tile, int64_t cb, int64_t rb) const {
    return (tile * col_blocks() + cb) * row_blocks_per_tile() + rb;
  }
  // Position in `values` of the stored value at padded row r (permuted order)
  // and compressed column c (0 .. padded_slots()/2 - 1).
  int64_t value_index(int64_t r, int64_t c) const;
  // Position in `meta` of the word holding the nibble of padded row r, group
  // q (0 .. padded_slots()/4 - 1), and the bit shift of that nibble.
  int64_t meta_word_index(int64_t r, int64_t q, int* shift) const;
  // Position in `col_idx` of slot s of tile t.
  int64_t col_index(int64_t tile, int64_t s) const { return tile * padded_slots() + s; }

  // Bytes of each array, and all of them (row_perm counted if present).
  int64_t value_bytes() const { return num_values() * 2; }
  int64_t meta_bytes() const { return num_meta_words() * 4; }
  int64_t col_idx_bytes() const { return num_col_indices() * 4; }
  int64_t row_perm_bytes() const { return rows * 4; }
};

}  // namespace hinm

#endif  // HINM_LAYOUT_H_
