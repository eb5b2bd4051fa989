//! Log files of 100,000 entries written natively and in wasm, side by side in one run.
//!
//! `cargo bench -p server --bench log_export` builds the wasm side (the log-file writer's
//! module as the browser's worker gets it, by `frontend/log-writer/build.sh`, with the
//! `bench` entry added), runs it in Node.js and in Debian's Chromium (the browser the
//! file is written in; through Playwright from `end2end/node_modules`), runs the same
//! code natively, and prints a table. Each figure is the best of several warm rounds.
//! Needs `wasm-bindgen` and `wasm-opt` (see .ci/tools.sh) and `node` on PATH; Chromium's
//! column is left out, saying why, where it or Playwright is missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const ROWS: u32 = 100_000;
const ROUNDS: u32 = 5;
/// Native and wasm take turns this many times, so a noisy moment of the machine does not
/// fall on one side only; each figure is the best over all turns.
const TURNS: u32 = 3;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target");
    let entries = app::export::sample_entries(ROWS as usize);
    let built = |target_kind: &str, folder: &str| match build_wasm_side(
        &root,
        target_kind,
        &target.join(folder),
    ) {
        Ok(out) => Some(out),
        Err(e) => {
            eprintln!("wasm side ({target_kind}) not measured: {e}");
            None
        }
    };
    let out = built("nodejs", "bench-wasm");
    let web = built("web", "bench-wasm-web");
    let best = |a: (f64, f64), b: (f64, f64)| (a.0.min(b.0), a.1.min(b.1));
    let or_best =
        |sofar: (f64, f64), t: (f64, f64)| if sofar.0.is_nan() { t } else { best(sofar, t) };
    let (mut native, mut wasm) = ((f64::INFINITY, f64::INFINITY), (f64::NAN, f64::NAN));
    let mut chromium = (f64::NAN, f64::NAN);
    for _ in 0..TURNS {
        let start = Instant::now();
        native = best(
            native,
            app::export::time_writers(&entries, ROUNDS, || start.elapsed().as_secs_f64() * 1000.0),
        );
        if let Some(out) = &out {
            match run_wasm_side(out) {
                Ok(t) => wasm = or_best(wasm, t),
                Err(e) => eprintln!("wasm side not measured: {e}"),
            }
        }
        if let Some(web) = &web {
            match run_in_chromium(&root, web) {
                Ok(t) => chromium = or_best(chromium, t),
                Err(e) => eprintln!("Chromium side not measured: {e}"),
            }
        }
    }
    println!(
        "Log files of {ROWS} entries, best of {} warm rounds, native and wasm taking turns (ms)",
        ROUNDS * TURNS
    );
    println!("| format | native | wasm, Node.js | Node.js ÷ native | wasm, Chromium | Chromium ÷ native |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, native, wasm, chromium) in [
        ("CSV", native.0, wasm.0, chromium.0),
        ("XLSX", native.1, wasm.1, chromium.1),
    ] {
        println!(
            "| {name} | {native:.0} | {wasm:.0} | {:.2} | {chromium:.0} | {:.2} |",
            wasm / native,
            chromium / native
        );
    }
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The writer's module exactly as the browser gets it, with the bench entry added, wrapped
/// by wasm-bindgen for `target_kind` (`nodejs` or `web`).
fn build_wasm_side(root: &Path, target_kind: &str, out: &Path) -> Result<PathBuf, String> {
    run(Command::new("bash")
        .current_dir(root)
        .arg("frontend/log-writer/build.sh")
        .env("LOG_WRITER_FEATURES", "bench")
        .env("LOG_WRITER_TARGET", target_kind)
        .env("LOG_WRITER_OUT", out))?;
    Ok(out.to_path_buf())
}

fn run_in_chromium(root: &Path, web: &Path) -> Result<(f64, f64), String> {
    let printed = run(Command::new("node")
        .current_dir(root.join("end2end"))
        .arg("bench/log-writers-chromium.mjs")
        .arg(web)
        .arg(ROWS.to_string())
        .arg(ROUNDS.to_string()))?;
    two_times(&printed)
}

fn two_times(printed: &str) -> Result<(f64, f64), String> {
    let mut times = printed.split_whitespace().map(str::parse::<f64>);
    match (times.next(), times.next()) {
        (Some(Ok(csv)), Some(Ok(xlsx))) => Ok((csv, xlsx)),
        _ => Err(format!("unexpected output: {printed}")),
    }
}

fn run_wasm_side(out: &Path) -> Result<(f64, f64), String> {
    let script = format!(
        "const m = require({:?}); console.log(m.bench_log_writers({ROWS}, {ROUNDS}));",
        out.join("log_writer.js")
    );
    two_times(&run(Command::new("node").args(["-e", &script]))?)
}
