//! Log files of 100,000 entries written natively and in wasm, side by side in one run.
//!
//! `cargo bench -p server --bench log_export` builds the wasm side (the `frontend` crate
//! with its `bench` feature, in the `wasm-release` profile the browser gets), runs it in
//! Node.js, runs the same code natively, and prints a table. Each figure is the best of
//! several warm rounds. Needs `wasm-bindgen` (see .ci/tools.sh) and `node` on PATH.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const ROWS: u32 = 100_000;
const ROUNDS: u32 = 5;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target");

    let entries = app::export::sample_entries(ROWS as usize);
    let start = Instant::now();
    let (native_csv, native_xlsx) =
        app::export::time_writers(&entries, ROUNDS, || start.elapsed().as_secs_f64() * 1000.0);

    let (wasm_csv, wasm_xlsx) = match wasm_side(&root, &target) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wasm side not measured: {e}");
            (f64::NAN, f64::NAN)
        }
    };
    println!("Log files of {ROWS} entries, best of {ROUNDS} warm rounds (ms)");
    println!("| format | native | wasm (Node.js) | wasm ÷ native |");
    println!("|---|---:|---:|---:|");
    for (name, native, wasm) in [
        ("CSV", native_csv, wasm_csv),
        ("XLSX", native_xlsx, wasm_xlsx),
    ] {
        println!(
            "| {name} | {native:.0} | {wasm:.0} | {:.2} |",
            wasm / native
        );
    }
}

fn wasm_side(root: &PathBuf, target: &std::path::Path) -> Result<(f64, f64), String> {
    let run = |cmd: &mut Command| -> Result<String, String> {
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{cmd:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    run(Command::new("cargo").current_dir(root).args([
        "build",
        "-p",
        "frontend",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
        "--features",
        "bench",
    ]))?;
    let out = target.join("bench-wasm");
    run(Command::new("wasm-bindgen").args([
        target
            .join("wasm32-unknown-unknown/wasm-release/frontend.wasm")
            .to_str()
            .unwrap_or_default(),
        "--target",
        "nodejs",
        "--out-dir",
        out.to_str().unwrap_or_default(),
    ]))?;
    // The app's lazy-loading imports are resolved by the page's split loader, which is not
    // part of this measurement: stand-ins that are never called satisfy them.
    let stub = out.join("node_modules/__wasm_split_placeholder__");
    std::fs::create_dir_all(&stub).map_err(|e| e.to_string())?;
    std::fs::write(
        stub.join("index.js"),
        "module.exports = new Proxy({}, { get: () => () => { throw new Error('not loaded'); } });\n",
    )
    .map_err(|e| e.to_string())?;
    let script = format!(
        "const m = require({:?}); console.log(m.bench_log_writers({ROWS}, {ROUNDS}));",
        out.join("frontend.js")
    );
    let printed = run(Command::new("node").args(["-e", &script]))?;
    let mut times = printed.split_whitespace().map(str::parse::<f64>);
    match (times.next(), times.next()) {
        (Some(Ok(csv)), Some(Ok(xlsx))) => Ok((csv, xlsx)),
        _ => Err(format!("unexpected output from node: {printed}")),
    }
}
