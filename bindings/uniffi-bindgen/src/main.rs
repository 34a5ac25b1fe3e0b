//! `uniffi-bindgen`, built from the workspace's pinned uniffi so generated code always matches the
//! library's scaffolding. Run through `bindings/generate`, which uses library mode on the cdylib.

fn main() {
    uniffi::uniffi_bindgen_main()
}
