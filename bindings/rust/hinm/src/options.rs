//! `PruneOptions`: how to prune and compress (the C API's `hinmPruneConfig_t`), as a
//! builder. Fields left unset keep the library's defaults (`hinmPruneConfigInit`).

use std::os::raw::c_void;

use hinm_sys as sys;

use crate::error::{check, Error, Result};
use crate::types::{DataType, Permute, PermuteAlgorithm};

/// How many input columns each tile keeps. The last setter called wins.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Density {
    /// The library default (vector sparsity 0.5: 75% total with 2:4).
    Default,
    /// Total sparsity, in [0.5, 1): 1 - (K_keep / K) / 2.
    Total(f64),
    /// Fraction of columns pruned per tile, in [0, 1).
    Vector(f64),
    /// Explicit K_keep (a multiple of 4).
    KeptCols(usize),
}

/// Options for [`crate::Matrix::prune`].
///
/// ```
/// use hinm::{DataType, Permute, PruneOptions};
/// let options = PruneOptions::new()
///     .sparsity(0.875)          // 75% of the columns + 2:4
///     .tile_rows(64)
///     .value_type(DataType::BF16)
///     .permute(Permute::Both)
///     .seed(7)
///     .threads(2);
/// assert_eq!(options.get_tile_rows(), Some(64));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PruneOptions {
    density: Density,
    tile_rows: Option<usize>,
    value_type: Option<DataType>,
    permute: Option<Permute>,
    algorithm: Option<PermuteAlgorithm>,
    seed: Option<u64>,
    max_failures: Option<usize>,
    schedule: Option<Vec<usize>>,
    threads: Option<usize>,
}

impl Default for PruneOptions {
    fn default() -> Self {
        PruneOptions::new()
    }
}

impl PruneOptions {
    /// All options at the library's defaults: V = 128, vector sparsity 0.5 (75% total),
    /// float16 values, no permutation, all cores.
    pub fn new() -> PruneOptions {
        PruneOptions {
            density: Density::Default,
            tile_rows: None,
            value_type: None,
            permute: None,
            algorithm: None,
            seed: None,
            max_failures: None,
            schedule: None,
            threads: None,
        }
    }

    /// Total sparsity of the weights, in [0.5, 1): 0.75 keeps half the columns of each tile
    /// and 2:4 of those; 0.5 is plain 2:4. Replaces `vector_sparsity` and `kept_cols`.
    pub fn sparsity(mut self, total: f64) -> Self {
        self.density = Density::Total(total);
        self
    }

    /// Fraction of the input columns pruned per tile, in [0, 1) (before 2:4). Replaces
    /// `sparsity` and `kept_cols`.
    pub fn vector_sparsity(mut self, fraction: f64) -> Self {
        self.density = Density::Vector(fraction);
        self
    }

    /// Exactly how many columns each tile keeps (K_keep, a multiple of 4). Replaces
    /// `sparsity` and `vector_sparsity`.
    pub fn kept_cols(mut self, kept: usize) -> Self {
        self.density = Density::KeptCols(kept);
        self
    }

    /// Rows per tile, V: a multiple of 16 in [16, 256].
    pub fn tile_rows(mut self, rows: usize) -> Self {
        self.tile_rows = Some(rows);
        self
    }

    /// Type of the compressed values: [`DataType::F16`] or [`DataType::BF16`].
    pub fn value_type(mut self, value_type: DataType) -> Self {
        self.value_type = Some(value_type);
        self
    }

    /// Which axes the two-axis channel permutation (2CP) searches before pruning.
    pub fn permute(mut self, axes: Permute) -> Self {
        self.permute = Some(axes);
        self
    }

    /// Which 2CP search to run.
    pub fn algorithm(mut self, algorithm: PermuteAlgorithm) -> Self {
        self.algorithm = Some(algorithm);
        self
    }

    /// Seed of 2CP's random choices.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// 2CP stops after this many rejected moves (0: the library's default).
    pub fn max_failures(mut self, failures: usize) -> Self {
        self.max_failures = Some(failures);
        self
    }

    /// 2CP's rows sampled per tile in each round, e.g. `[8, 1, 4, 1, 2, 1, 1]`.
    pub fn schedule(mut self, rows_per_round: &[usize]) -> Self {
        self.schedule = Some(rows_per_round.to_vec());
        self
    }

    /// CPU threads to use (0: all cores).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// The tile height set with [`PruneOptions::tile_rows`], if any.
    pub fn get_tile_rows(&self) -> Option<usize> {
        self.tile_rows
    }

    /// The value type set with [`PruneOptions::value_type`], if any.
    pub fn get_value_type(&self) -> Option<DataType> {
        self.value_type
    }

    /// The C configuration. `progress` is the C callback and its user data, if any.
    pub(crate) fn to_raw(
        &self,
        progress: Option<(sys::hinmProgressCallback_t, *mut c_void)>,
    ) -> Result<RawPruneConfig> {
        let mut config = sys::hinmPruneConfig_t::default();
        // SAFETY: valid out-pointer; Init fills every field with the library's defaults.
        check(unsafe { sys::hinmPruneConfigInit(&mut config) })?;
        match self.density {
            Density::Default => {}
            Density::Total(total) => {
                // 1 - (K_keep/K)/2 = total  <=>  vector sparsity 1 - K_keep/K = 2 total - 1.
                if !(0.5..1.0).contains(&total) {
                    return Err(Error::invalid(format!(
                        "sparsity {total} is out of range: HiNM's total sparsity is \
                         1 - (K_keep/K)/2, in [0.5, 1) (0.5 is plain 2:4)"
                    )));
                }
                config.vector_sparsity = 2.0 * total - 1.0;
            }
            Density::Vector(fraction) => config.vector_sparsity = fraction,
            Density::KeptCols(kept) => {
                config.kept_cols = to_i64(kept, "kept_cols")?;
                if kept == 0 {
                    return Err(Error::invalid("kept_cols must be positive (a multiple of 4)"));
                }
            }
        }
        if let Some(rows) = self.tile_rows {
            config.tile_rows = to_i32(rows, "tile_rows")?;
        }
        if let Some(value_type) = self.value_type {
            config.value_type = value_type.to_raw();
        }
        if let Some(permute) = self.permute {
            config.permute = permute.to_raw();
        }
        if let Some(algorithm) = self.algorithm {
            config.permute_algo = algorithm.to_raw();
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(failures) = self.max_failures {
            config.permute_max_failures = to_i32(failures, "max_failures")?;
        }
        if let Some(threads) = self.threads {
            config.num_threads = to_i32(threads, "threads")?;
        }
        let schedule = match &self.schedule {
            Some(rounds) => {
                let rounds = rounds
                    .iter()
                    .map(|&r| to_i32(r, "schedule entry"))
                    .collect::<Result<Vec<i32>>>()?;
                config.permute_schedule_len = to_i32(rounds.len(), "schedule length")?;
                Some(rounds)
            }
            None => None,
        };
        // The Vec's heap buffer does not move with RawPruneConfig, so the pointer stays valid.
        if let Some(rounds) = &schedule {
            config.permute_schedule = rounds.as_ptr();
        }
        if let Some((callback, user_data)) = progress {
            config.progress = callback;
            config.progress_user_data = user_data;
        }
        Ok(RawPruneConfig { config, _schedule: schedule })
    }
}

/// A C configuration together with the schedule array it points into.
#[derive(Debug)]
pub(crate) struct RawPruneConfig {
    pub(crate) config: sys::hinmPruneConfig_t,
    _schedule: Option<Vec<i32>>,
}

pub(crate) fn to_i32(value: usize, what: &str) -> Result<i32> {
    i32::try_from(value)
        .map_err(|_| Error::invalid(format!("{what} {value} does not fit in 32 bits")))
}

pub(crate) fn to_i64(value: usize, what: &str) -> Result<i64> {
    i64::try_from(value).map_err(|_| {
        Error::new(crate::Status::SizeOverflow, format!("{what} {value} does not fit in 64 bits"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_librarys() {
        let mut expected = sys::hinmPruneConfig_t::default();
        // SAFETY: valid out-pointer.
        check(unsafe { sys::hinmPruneConfigInit(&mut expected) }).unwrap();
        let raw = PruneOptions::new().to_raw(None).unwrap().config;
        assert_eq!(raw.struct_size, std::mem::size_of::<sys::hinmPruneConfig_t>());
        assert_eq!(raw.tile_rows, expected.tile_rows);
        assert_eq!(raw.tile_rows, 128); // documented default
        assert_eq!(raw.vector_sparsity, 0.5);
        assert_eq!(raw.kept_cols, 0);
        assert_eq!(raw.value_type, sys::HINM_R_16F);
        assert_eq!(raw.permute, sys::HINM_PERMUTE_NONE);
        assert!(raw.permute_schedule.is_null());
        assert!(raw.progress.is_none());
    }

    #[test]
    fn every_setter_reaches_the_c_config() {
        let options = PruneOptions::new()
            .sparsity(0.875)
            .tile_rows(64)
            .value_type(DataType::BF16)
            .permute(Permute::Input)
            .algorithm(PermuteAlgorithm::Published)
            .seed(42)
            .max_failures(9)
            .schedule(&[8, 1, 2])
            .threads(3);
        let raw = options.to_raw(None).unwrap();
        let c = &raw.config;
        assert_eq!(c.vector_sparsity, 0.75);
        assert_eq!(c.kept_cols, 0);
        assert_eq!(c.tile_rows, 64);
        assert_eq!(c.value_type, sys::HINM_R_16BF);
        assert_eq!(c.permute, sys::HINM_PERMUTE_INPUT);
        assert_eq!(c.permute_algo, sys::HINM_PERMUTE_ALGO_PUBLISHED);
        assert_eq!(c.seed, 42);
        assert_eq!(c.permute_max_failures, 9);
        assert_eq!(c.num_threads, 3);
        assert_eq!(c.permute_schedule_len, 3);
        // SAFETY: the pointer is into raw's own schedule, alive here.
        let schedule = unsafe { std::slice::from_raw_parts(c.permute_schedule, 3) };
        assert_eq!(schedule, &[8, 1, 2]);
    }

    #[test]
    fn last_density_setter_wins() {
        let c = PruneOptions::new().sparsity(0.9).kept_cols(8).to_raw(None).unwrap().config;
        assert_eq!(c.kept_cols, 8);
        assert_eq!(c.vector_sparsity, 0.5); // untouched default
        let c = PruneOptions::new().kept_cols(8).vector_sparsity(0.25).to_raw(None).unwrap().config;
        assert_eq!(c.kept_cols, 0);
        assert_eq!(c.vector_sparsity, 0.25);
        let c = PruneOptions::new().sparsity(0.5).to_raw(None).unwrap().config;
        assert_eq!(c.vector_sparsity, 0.0); // plain 2:4
    }

    #[test]
    fn out_of_range_total_sparsity_is_rejected_before_c() {
        for bad in [0.3, 1.0, 1.5, -0.1, f64::NAN] {
            let err = PruneOptions::new().sparsity(bad).to_raw(None).unwrap_err();
            assert_eq!(err.status, crate::Status::InvalidValue, "{bad}");
            assert!(err.message.contains("sparsity"), "{}", err.message);
        }
        let err = PruneOptions::new().kept_cols(0).to_raw(None).unwrap_err();
        assert_eq!(err.status, crate::Status::InvalidValue);
        let err = PruneOptions::new().tile_rows(1 << 40).to_raw(None).unwrap_err();
        assert_eq!(err.status, crate::Status::InvalidValue);
    }
}
