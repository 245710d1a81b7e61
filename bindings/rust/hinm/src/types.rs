//! Small enums mirroring the C API's `hinmDataType_t`, `hinmOrder_t`, `hinmRowOrder_t`,
//! `hinmPermute_t`, `hinmPermuteAlgo_t` and `hinmKernel_t`.

use hinm_sys as sys;

/// Element type of weights, activations and outputs (`hinmDataType_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    /// IEEE float16 ([`crate::F16`] on the host).
    F16,
    /// bfloat16 ([`crate::BF16`] on the host).
    BF16,
    /// float32: dense inputs and the host reference only; never a compressed value type.
    F32,
}

impl DataType {
    pub(crate) fn to_raw(self) -> sys::hinmDataType_t {
        match self {
            DataType::F16 => sys::HINM_R_16F,
            DataType::BF16 => sys::HINM_R_16BF,
            DataType::F32 => sys::HINM_R_32F,
        }
    }

    /// `None` for a value this crate does not know (a newer library).
    pub(crate) fn from_raw(raw: sys::hinmDataType_t) -> Option<DataType> {
        match raw {
            sys::HINM_R_16F => Some(DataType::F16),
            sys::HINM_R_16BF => Some(DataType::BF16),
            sys::HINM_R_32F => Some(DataType::F32),
            _ => None,
        }
    }

    /// Bytes per element.
    pub fn size_bytes(self) -> usize {
        match self {
            DataType::F16 | DataType::BF16 => 2,
            DataType::F32 => 4,
        }
    }
}

/// Storage order of an activation matrix B or an output C with `n` tokens (`hinmOrder_t`).
/// Both are row-major with a leading dimension; the order says which axis is the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Order {
    /// B is K x N, C is M x N: each feature a contiguous row. The kernel's fast path.
    #[default]
    FeatureMajor,
    /// B is N x K, C is N x M: tokens x features, what frameworks hold.
    TokenMajor,
}

impl Order {
    pub(crate) fn to_raw(self) -> sys::hinmOrder_t {
        match self {
            Order::FeatureMajor => sys::HINM_ORDER_FEATURE_MAJOR,
            Order::TokenMajor => sys::HINM_ORDER_TOKEN_MAJOR,
        }
    }

    /// `None` for a value this crate does not know (a newer library).
    pub(crate) fn from_raw(raw: sys::hinmOrder_t) -> Option<Order> {
        match raw {
            sys::HINM_ORDER_FEATURE_MAJOR => Some(Order::FeatureMajor),
            sys::HINM_ORDER_TOKEN_MAJOR => Some(Order::TokenMajor),
            _ => None,
        }
    }
}

/// Which row order the product writes when the matrix has an output permutation from 2CP
/// (`hinmRowOrder_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RowOrder {
    /// Row `i` of C is output channel `i`.
    #[default]
    Original,
    /// Row `p` of C is channel `perm[p]` ([`crate::Matrix::row_permutation`]); the caller
    /// folds the permutation into the next layer.
    Permuted,
}

impl RowOrder {
    pub(crate) fn to_raw(self) -> sys::hinmRowOrder_t {
        match self {
            RowOrder::Original => sys::HINM_ROWS_ORIGINAL,
            RowOrder::Permuted => sys::HINM_ROWS_PERMUTED,
        }
    }
}

/// Which axes the two-axis channel permutation (2CP) searches before pruning
/// (`hinmPermute_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Permute {
    /// No permutation.
    #[default]
    None,
    /// Output channels (rows) into tiles.
    Output,
    /// Kept input columns into 2:4 groups, per tile.
    Input,
    /// Both axes: full 2CP.
    Both,
}

impl Permute {
    pub(crate) fn to_raw(self) -> sys::hinmPermute_t {
        match self {
            Permute::None => sys::HINM_PERMUTE_NONE,
            Permute::Output => sys::HINM_PERMUTE_OUTPUT,
            Permute::Input => sys::HINM_PERMUTE_INPUT,
            Permute::Both => sys::HINM_PERMUTE_BOTH,
        }
    }
}

/// Which 2CP search runs (`hinmPermuteAlgo_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PermuteAlgorithm {
    /// hinm's own search (recommended).
    #[default]
    Default,
    /// The published 2CP, faithfully (a baseline).
    Published,
}

impl PermuteAlgorithm {
    pub(crate) fn to_raw(self) -> sys::hinmPermuteAlgo_t {
        match self {
            PermuteAlgorithm::Default => sys::HINM_PERMUTE_ALGO_DEFAULT,
            PermuteAlgorithm::Published => sys::HINM_PERMUTE_ALGO_PUBLISHED,
        }
    }
}

/// Which sparse kernel runs a GPU product: part of a plan [`crate::Matrix::spmm_search`]
/// stored ([`crate::TunedPlan`], `hinmKernel_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// The planner's choice.
    Auto,
    /// `mma.sp.sync` (sm_80 and later).
    MmaSp,
    /// `wgmma.sp` (sm_90a).
    WgmmaSp,
}

impl Kernel {
    /// `None` for a value this crate does not know (a newer library).
    pub(crate) fn from_raw(raw: sys::hinmKernel_t) -> Option<Kernel> {
        match raw {
            sys::HINM_KERNEL_AUTO => Some(Kernel::Auto),
            sys::HINM_KERNEL_MMA_SP => Some(Kernel::MmaSp),
            sys::HINM_KERNEL_WGMMA_SP => Some(Kernel::WgmmaSp),
            _ => None,
        }
    }
}
