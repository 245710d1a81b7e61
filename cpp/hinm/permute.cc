// 2CP entry points: validate, then run the chosen algorithm (published
// baseline or hinm's default) on the output axis or on the tiles' inputs.
#include "cpp/hinm/permute.h"

#include <cmath>
#include <string>

#include "cpp/hinm/error.h"
#include "cpp/hinm/layout.h"
#include "cpp/hinm/permute_common.h"
#include "cpp/hinm/permute_input.h"
#include "cpp/hinm/permute_output.h"

namespace hinm {
namespace {

void CheckView(const SaliencyView& s) {
  Require(s.rows >= 0 && s.cols >= 0, Status::kInvalidValue,
          "2CP: saliency has a negative shape");
  Require(s.rows <= INT32_MAX && s.cols <= INT32_MAX, Status::kInvalidValue,
          "2CP: saliency shape exceeds int32");
  Require(s.rows == 0 || s.cols == 0 || s.data != nullptr, Status::kNullPointer,
          "2CP: saliency data is null");
  Require(s.ld >= s.cols, Status::kInvalidValue, "2CP: saliency ld < cols");
}

void CheckScore(float v, int64_t r, int64_t c) {
  if (!(std::isfinite(v) && v >= 0.0f)) {
    throw Error(Status::kInvalidValue,
                "2CP: saliency must be finite and non-negative; (" + std::to_string(r) +
                    ", " + std::to_string(c) + ") = " + std::to_string(v));
  }
}

void CheckOptions(const PermuteOptions& opt, int32_t tile_rows) {
  Require(opt.algo == PermuteAlgo::kDefault || opt.algo == PermuteAlgo::kPublished,
          Status::kInvalidValue, "2CP: unknown permutation algorithm");
  Require(opt.max_failures >= 0, Status::kInvalidValue, "2CP: max_failures < 0");
  Require(opt.num_threads >= 0, Status::kInvalidValue, "2CP: num_threads < 0");
  for (int32_t r : opt.schedule) {
    Require(r >= 1 && (tile_rows <= 0 || r <= tile_rows), Status::kInvalidValue,
            "2CP: schedule entries must be in [1, V]; got " + std::to_string(r));
  }
}

uint64_t TileStream(const std::vector<int32_t>& rows) {
  return rows.empty() ? 0x100000000ull : 0x100000000ull + static_cast<uint32_t>(rows.front());
}

void CheckTile(const SaliencyView& s, const std::vector<int32_t>& rows,
               const std::vector<int32_t>& slots,
               const std::vector<int32_t>& spare = std::vector<int32_t>()) {
  Require(slots.size() % kGroupSize == 0, Status::kInvalidValue,
          "2CP: a tile's slot count must be a multiple of 4");
  std::vector<char> seen(static_cast<size_t>(s.cols), 0);
  for (int32_t c : slots) {
    if (c == kPadColumn) continue;
    Require(c >= 0 && c < s.cols, Status::kInvalidValue,
            "2CP: slot column " + std::to_string(c) + " out of range");
    Require(!seen[c], Status::kInvalidValue, "2CP: slot column " + std::to_string(c) + " repeated");
    seen[c] = 1;
  }
  for (int32_t c : spare) {
    Require(c >= 0 && c < s.cols, Status::kInvalidValue,
            "2CP: spare column " + std::to_string(c) + " out of range");
    Require(!seen[c], Status::kInvalidValue,
            "2CP: spare column " + std::to_string(c) + " repeated or also kept");
    seen[c] = 1;
  }
  for (int32_t r : rows) {
    Require(r >= 0 && r < s.rows, Status::kInvalidValue,
            "2CP: tile row " + std::to_string(r) + " out of range");
    for (int32_t c : slots) {
      if (c != kPadColumn) CheckScore(s.at(r, c), r, c);
    }
    for (int32_t c : spare) CheckScore(s.at(r, c), r, c);
  }
}

std::vector<int32_t> TileOrder(const SaliencyView& s, const std::vector<int32_t>& rows,
                               const std::vector<int32_t>& slots, const PermuteOptions& opt) {
  return opt.algo == PermuteAlgo::kPublished
             ? InputSearchPublished(s, rows, slots, opt, TileStream(rows))
             : InputSearchDefault(s, rows, slots, opt, TileStream(rows));
}

}  // namespace

std::vector<int32_t> SearchOutputPermutation(const SaliencyView& s, int32_t tile_rows,
                                             int64_t kept_cols, const PermuteOptions& opt) {
  CheckView(s);
  CheckOptions(opt, tile_rows);
  Require(tile_rows >= 1, Status::kInvalidValue, "2CP: tile_rows (V) must be >= 1");
  Require(kept_cols >= 1, Status::kInvalidValue, "2CP: kept_cols must be >= 1");
  Require(kept_cols <= (s.cols + 3) / 4 * 4, Status::kInvalidValue,
          "2CP: kept_cols " + std::to_string(kept_cols) + " exceeds round_up(K, 4) = " +
              std::to_string((s.cols + 3) / 4 * 4));
  for (int64_t r = 0; r < s.rows; ++r) {
    for (int64_t c = 0; c < s.cols; ++c) CheckScore(s.at(r, c), r, c);
  }
  return opt.algo == PermuteAlgo::kPublished
             ? OutputSearchPublished(s, tile_rows, kept_cols, opt)
             : OutputSearchDefault(s, tile_rows, kept_cols, opt);
}

std::vector<int32_t> SearchTileColumnOrder(const SaliencyView& s,
                                           const std::vector<int32_t>& rows,
                                           const std::vector<int32_t>& slots,
                                           const PermuteOptions& opt) {
  CheckView(s);
  CheckOptions(opt, 0);
  CheckTile(s, rows, slots);
  return TileOrder(s, rows, slots, opt);
}

std::vector<int32_t> SearchTileColumns(const SaliencyView& s, const std::vector<int32_t>& rows,
                                       const std::vector<int32_t>& slots,
                                       const std::vector<int32_t>& spare,
                                       const PermuteOptions& opt) {
  CheckView(s);
  CheckOptions(opt, 0);
  CheckTile(s, rows, slots, spare);
  std::vector<int32_t> order = TileOrder(s, rows, slots, opt);
  if (opt.algo != PermuteAlgo::kDefault) return order;
  return RefineTileColumns(s, rows, order, spare, opt, TileStream(rows));
}

}  // namespace hinm
