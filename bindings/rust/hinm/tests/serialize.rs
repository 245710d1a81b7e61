//! save/load and to_bytes/from_bytes round trips, and what bad files and bytes return.

mod common;

use std::path::PathBuf;

use common::{handle, Rng};
use hinm::{DataType, Matrix, Permute, PruneOptions, SpmmOptions, Status};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("hinm-rust-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sample(value_type: DataType, permute: Permute) -> Matrix {
    let (m, k) = (48, 40);
    let w = Rng::new(31).weights(m * k);
    let options = PruneOptions::new()
        .tile_rows(16)
        .kept_cols(24)
        .value_type(value_type)
        .permute(permute)
        .seed(2);
    Matrix::prune(&handle(), &w, m, k, None, &options).unwrap()
}

/// Everything observable about two matrices is equal.
fn assert_same(a: &Matrix, b: &Matrix) {
    assert_eq!(a.info(), b.info());
    assert_eq!(a.to_dense().unwrap(), b.to_dense().unwrap());
    assert_eq!(a.row_permutation().unwrap(), b.row_permutation().unwrap());
    assert_eq!(a.column_indices().unwrap(), b.column_indices().unwrap());
    let h = handle();
    let n = 3;
    let x = Rng::new(32).weights(a.cols() * n);
    let (mut ca, mut cb) = (vec![0.0f32; a.rows() * n], vec![0.0f32; b.rows() * n]);
    a.spmm_host(&h, n, &x, &mut ca, None, &SpmmOptions::new()).unwrap();
    b.spmm_host(&h, n, &x, &mut cb, None, &SpmmOptions::new()).unwrap();
    assert_eq!(ca, cb);
}

#[test]
fn save_and_load_round_trip() {
    let dir = TempDir::new("save");
    for (value_type, permute) in [(DataType::F16, Permute::None), (DataType::BF16, Permute::Both)] {
        let a = sample(value_type, permute);
        let path = dir.0.join(format!("{value_type:?}.hinm"));
        a.save(&path).unwrap();
        let b = Matrix::load(&handle(), &path).unwrap();
        assert_same(&a, &b);
        // The file is the in-memory format.
        assert_eq!(std::fs::read(&path).unwrap(), a.to_bytes().unwrap());
    }
}

#[test]
fn bytes_round_trip() {
    let a = sample(DataType::F16, Permute::Both);
    let bytes = a.to_bytes().unwrap();
    assert!(bytes.len() >= a.compressed_bytes(), "{} < {}", bytes.len(), a.compressed_bytes());
    let b = Matrix::from_bytes(&handle(), &bytes).unwrap();
    assert_same(&a, &b);
    assert_eq!(b.to_bytes().unwrap(), bytes);
}

#[test]
fn corrupt_bytes_are_rejected() {
    let h = handle();
    let bytes = sample(DataType::F16, Permute::None).to_bytes().unwrap();
    // A flipped bit anywhere: in the header (magic, sizes) or in the checksummed data.
    for pos in [0, 5, 17, bytes.len() / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x10;
        let err = Matrix::from_bytes(&h, &bad).unwrap_err();
        assert!(
            matches!(err.status, Status::CorruptFile | Status::VersionMismatch),
            "byte {pos}: {err}"
        );
        assert!(!err.message.is_empty());
    }
    for len in [0, 4, 16, bytes.len() - 1] {
        let err = Matrix::from_bytes(&h, &bytes[..len]).unwrap_err();
        assert_eq!(err.status, Status::CorruptFile, "{len} bytes: {err}");
    }
    let err = Matrix::from_bytes(&h, b"definitely not a hinm matrix file").unwrap_err();
    assert_eq!(err.status, Status::CorruptFile, "{err}");
}

#[test]
fn corrupt_and_missing_files_are_rejected() {
    let h = handle();
    let dir = TempDir::new("bad");
    let err = Matrix::load(&h, dir.0.join("missing.hinm")).unwrap_err();
    assert_eq!(err.status, Status::IoError, "{err}");
    assert!(err.message.contains("missing.hinm"), "the message names the file: {err}");

    let truncated = dir.0.join("truncated.hinm");
    let bytes = sample(DataType::F16, Permute::None).to_bytes().unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    assert_eq!(Matrix::load(&h, &truncated).unwrap_err().status, Status::CorruptFile);

    // A directory is not a file.
    assert_eq!(Matrix::load(&h, &dir.0).unwrap_err().status, Status::IoError);

    let a = sample(DataType::F16, Permute::None);
    let err = a.save(dir.0.join("no/such/dir/x.hinm")).unwrap_err();
    assert_eq!(err.status, Status::IoError, "{err}");
    // Paths C cannot take are refused here.
    assert_eq!(a.save("bad\0name").unwrap_err().status, Status::InvalidValue);
    assert_eq!(Matrix::load(&h, "bad\0name").unwrap_err().status, Status::InvalidValue);
    assert_eq!(a.save("").unwrap_err().status, Status::InvalidValue);
}
