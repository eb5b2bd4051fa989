//! Any bytes as a source file (CSV or XLSX, told by its first bytes, as a run reads it):
//! the loader answers with people or a load error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::sync::mapping::ColumnMapping;
use server::sync::source::table::{read_file, Sheet};
use server::sync::validate::Validator;
use std::sync::OnceLock;

fn scratch() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a scratch folder"))
        .path()
}

fuzz_target!(|data: &[u8]| {
    let path = scratch().join("input");
    std::fs::write(&path, data).expect("the input is written");
    let mut validator = Validator::new(ColumnMapping::default());
    if read_file(&path, "input", &Sheet::First, &mut validator).is_ok() {
        let _ = validator.finish();
    }
});
