//! Generates the FFI from the C header with bindgen and links libhinm.
//!
//! Inputs (environment):
//! - `HINM_LIB_DIR`: directory holding `libhinm.so`. Default: `<repo>/bazel-bin/c_api`,
//!   where `bazel build //c_api:libhinm.so` puts it.
//! - `HINM_INCLUDE_DIR`: directory holding `hinm/hinm.h`. Default: `<repo>/c_api/include`.
//!
//! The library directory is also written into the rpath of this crate's test binaries and
//! published to dependents as `DEP_HINM_LIB_DIR` (the `links = "hinm"` metadata), so that
//! `hinm`'s build script can put it in their rpath too: tests run without LD_LIBRARY_PATH.

use std::env;
use std::path::{Path, PathBuf};

const LIB_FILE: &str = "libhinm.so";

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    // bindings/rust/hinm-sys -> repository root.
    let repo_root = manifest_dir.join("../../..");

    let include_dir =
        env_dir("HINM_INCLUDE_DIR").unwrap_or_else(|| repo_root.join("c_api/include"));
    let header = include_dir.join("hinm/hinm.h");
    if !header.is_file() {
        fail(&format!(
            "hinm-sys: header not found at {}.\n  Set HINM_INCLUDE_DIR to the directory that holds hinm/hinm.h.",
            header.display()
        ));
    }
    println!("cargo:rerun-if-changed={}", header.display());

    let lib_dir = find_lib_dir(&repo_root);
    println!("cargo:rerun-if-changed={}", lib_dir.join(LIB_FILE).display());
    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    println!("cargo:rustc-link-lib=dylib=hinm");
    // rpath for this crate's own test binaries; dependents read it from DEP_HINM_LIB_DIR.
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
    println!("cargo:lib_dir={}", lib_dir.display());
    println!("cargo:include_dir={}", include_dir.display());

    let bindings = bindgen::Builder::default()
        .header(header.to_string_lossy())
        .clang_arg(format!("-I{}", include_dir.display()))
        // Only the library's own names; stddef/stdint come in through their use.
        .allowlist_function("hinm.*")
        .allowlist_type("hinm.*")
        .allowlist_var("HINM_.*")
        // C enums become integer type aliases plus constants named exactly as in C
        // (HINM_STATUS_SUCCESS, ...): a Rust enum would be UB for a value the library adds
        // later (the status enum is append-only).
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .size_t_is_usize(true)
        .derive_default(true)
        .layout_tests(true)
        .generate_comments(true)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks))
        .generate()
        .unwrap_or_else(|e| {
            fail(&format!("hinm-sys: bindgen could not parse {}: {e}", header.display()))
        });

    let out =
        PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("bindings.rs");
    bindings
        .write_to_file(&out)
        .unwrap_or_else(|e| fail(&format!("hinm-sys: cannot write {}: {e}", out.display())));
}

/// The directory with libhinm.so: `HINM_LIB_DIR`, else Bazel's output directory.
fn find_lib_dir(repo_root: &Path) -> PathBuf {
    println!("cargo:rerun-if-env-changed=HINM_LIB_DIR");
    println!("cargo:rerun-if-env-changed=HINM_INCLUDE_DIR");
    let how_to = "build it with: bazel build //c_api:libhinm.so, or set HINM_LIB_DIR to the directory that holds libhinm.so";
    if let Some(dir) = env_dir("HINM_LIB_DIR") {
        if dir.join(LIB_FILE).is_file() {
            return resolved(&dir);
        }
        fail(&format!("hinm-sys: HINM_LIB_DIR={} has no {LIB_FILE}; {how_to}", dir.display()));
    }
    let bazel_dir = repo_root.join("bazel-bin/c_api");
    if bazel_dir.join(LIB_FILE).is_file() {
        return resolved(&bazel_dir);
    }
    fail(&format!("hinm-sys: {LIB_FILE} not found in {}; {how_to}", bazel_dir.display()))
}

fn env_dir(name: &str) -> Option<PathBuf> {
    env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The directory with every symlink resolved. bazel-bin is a symlink that Bazel re-points when
/// another configuration is built (e.g. --config=asan); the rpath must keep naming the library
/// this build linked against.
fn resolved(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir)
        .unwrap_or_else(|e| fail(&format!("hinm-sys: cannot resolve {}: {e}", dir.display())))
}

fn fail(message: &str) -> ! {
    // A panic in a build script prints its message under "--- stderr"; this is clearer.
    eprintln!("error: {message}");
    println!("cargo:warning={message}");
    std::process::exit(1);
}
