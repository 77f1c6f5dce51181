//! Timings and memory figures for `--json` reports.
use std::time::Instant;

use serde::Serialize;

/// Wall-clock seconds per named step, in order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings(pub Vec<(String, f64)>);

impl Timings {
    /// Run `f`, recording its duration under `name`.
    pub fn time<T>(&mut self, name: &str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.0.push((name.to_string(), t.elapsed().as_secs_f64()));
        out
    }
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, t)| *t)
    }
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
