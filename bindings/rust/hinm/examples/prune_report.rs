//! Prunes one random layer at each HiNM level, with and without 2CP, and prints what
//! survives; then checks the host product of the last one against the dense pruned weights.
//!
//!     cargo run --release --example prune_report -- [rows] [cols]

use hinm::{Handle, Matrix, Permute, PruneOptions, SpmmOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let m = args.next().transpose()?.unwrap_or(256);
    let k = args.next().transpose()?.unwrap_or(512);

    // A fixed pseudo-random layer (xorshift), no crate needed.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let weights: Vec<f32> = (0..m * k)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();

    let handle = Handle::new()?;
    println!("{m} x {k}, V = 64, GPU present: {}", handle.has_device()?);
    println!("sparsity  2CP   kept_cols  retained |W|  compression");
    let mut last = None;
    for sparsity in [0.5, 0.75, 0.875] {
        for permute in [Permute::None, Permute::Both] {
            let options =
                PruneOptions::new().sparsity(sparsity).tile_rows(64).permute(permute).seed(1);
            let a = Matrix::prune(&handle, &weights, m, k, None, &options)?;
            println!(
                "{:8.3}  {:4}  {:9}  {:11.4}  {:10.2}x",
                a.sparsity(),
                if permute == Permute::Both { "yes" } else { "no" },
                a.kept_cols(),
                a.retained_saliency(),
                a.compression_ratio()
            );
            last = Some(a);
        }
    }

    let a = last.expect("at least one level");
    let n = 16;
    let b: Vec<f32> = (0..k * n).map(|i| ((i % 13) as f32 - 6.0) / 6.0).collect();
    let mut c = vec![0.0f32; m * n];
    a.spmm_host(&handle, n, &b, &mut c, None, &SpmmOptions::new())?;
    let dense = a.to_dense()?;
    let mut worst = 0.0f64;
    for i in 0..m {
        for j in 0..n {
            let want: f64 =
                (0..k).map(|kk| f64::from(dense[i * k + kk]) * f64::from(b[kk * n + j])).sum();
            worst = worst.max((f64::from(c[i * n + j]) - want).abs());
        }
    }
    println!("host SpMM, N = {n}: max |C - fp64 reference| = {worst:.2e}");
    Ok(())
}
