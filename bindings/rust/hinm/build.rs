//! Puts the directory of libhinm.so (found by hinm-sys, published as DEP_HINM_LIB_DIR) into
//! the rpath of this crate's tests, examples and doc tests, so they run without
//! LD_LIBRARY_PATH. (A build script's link arguments apply only to its own package.)

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_HINM_LIB_DIR");
    if let Some(dir) = std::env::var_os("DEP_HINM_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.to_string_lossy());
    }
}
