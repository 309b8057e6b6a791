//! Switches the SDK's sync facade to a model checker for this twin crate only: shuttle in
//! normal builds, loom when the harness itself is built for loom (`--cfg harness_loom` in
//! RUSTFLAGS, which cargo passes to build scripts as `CARGO_CFG_HARNESS_LOOM`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(openfeature_sdk_shuttle)");
    println!("cargo::rustc-check-cfg=cfg(openfeature_sdk_loom)");
    println!("cargo::rustc-check-cfg=cfg(harness_loom)");
    if std::env::var_os("CARGO_CFG_HARNESS_LOOM").is_some() {
        println!("cargo::rustc-cfg=openfeature_sdk_loom");
    } else {
        println!("cargo::rustc-cfg=openfeature_sdk_shuttle");
    }
}
