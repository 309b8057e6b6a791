//! Switches the SDK's sync facade to shuttle for this twin crate only.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(openfeature_sdk_shuttle)");
    println!("cargo::rustc-cfg=openfeature_sdk_shuttle");
}
