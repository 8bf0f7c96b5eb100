//! Facts about the machine and the binary that a benchmark figure depends on, and the
//! process's peak resident memory.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// SIMD features that decide which kernels run (candle's quantized matmuls are
/// chosen at compile time; f16c and avx512 matter for llama.cpp comparisons).
pub const SIMD_FEATURES: &[&str] = &["avx2", "fma", "f16c", "avx512f", "avx512vnni"];

/// The machine a benchmark ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name (`/proc/cpuinfo`), or `unknown`.
    pub cpu_model: String,
    /// Logical cores available to this process.
    pub logical_cores: usize,
    /// Operating system and architecture, e.g. `linux x86_64`.
    pub os: String,
    /// Which of [`SIMD_FEATURES`] the CPU supports (detected at run time).
    pub simd_runtime: BTreeMap<String, bool>,
    /// Which of [`SIMD_FEATURES`] this binary was compiled to use.
    pub simd_compiled: BTreeMap<String, bool>,
    /// One-minute load average when detected: other work competing for the cores
    /// makes every figure slower (Linux only).
    pub load_average: Option<f64>,
}

impl Machine {
    /// Look at the current machine and binary.
    pub fn detect() -> Self {
        Machine {
            cpu_model: std::fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(|s| cpu_model(&s))
                .unwrap_or_else(|| "unknown".into()),
            logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            simd_runtime: SIMD_FEATURES
                .iter()
                .map(|f| (f.to_string(), runtime_has(f)))
                .collect(),
            simd_compiled: SIMD_FEATURES
                .iter()
                .map(|f| (f.to_string(), compiled_with(f)))
                .collect(),
            load_average: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse().ok()),
        }
    }

    /// Features in `map` that are on, space-separated (`-` when none).
    pub fn on(map: &BTreeMap<String, bool>) -> String {
        let on: Vec<&str> = map
            .iter()
            .filter(|(_, &v)| v)
            .map(|(k, _)| k.as_str())
            .collect();
        if on.is_empty() {
            "-".into()
        } else {
            on.join(" ")
        }
    }
}

/// The first `model name` line of a `/proc/cpuinfo` text.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

#[cfg(target_arch = "x86_64")]
fn runtime_has(feature: &str) -> bool {
    match feature {
        "avx2" => std::is_x86_feature_detected!("avx2"),
        "fma" => std::is_x86_feature_detected!("fma"),
        "f16c" => std::is_x86_feature_detected!("f16c"),
        "avx512f" => std::is_x86_feature_detected!("avx512f"),
        "avx512vnni" => std::is_x86_feature_detected!("avx512vnni"),
        _ => false,
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn runtime_has(_feature: &str) -> bool {
    false
}

fn compiled_with(feature: &str) -> bool {
    match feature {
        "avx2" => cfg!(target_feature = "avx2"),
        "fma" => cfg!(target_feature = "fma"),
        "f16c" => cfg!(target_feature = "f16c"),
        "avx512f" => cfg!(target_feature = "avx512f"),
        "avx512vnni" => cfg!(target_feature = "avx512vnni"),
        _ => false,
    }
}

/// The process's peak resident set size in bytes (`VmHWM`), where the OS reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    vm_hwm_bytes(&status)
}

/// `VmHWM` of a `/proc/PID/status` text, in bytes.
pub fn vm_hwm_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Reset the peak resident set size to the current one (Linux: `5` to
/// `/proc/self/clear_refs`). `false` where that is not allowed: then
/// [`peak_rss_bytes`] stays the peak of the whole process so far.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model("processor: 0\n"), None);
        let status = "Name:\tbrief\nVmPeak:\t  500 kB\nVmHWM:\t    1964 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(vm_hwm_bytes(status), Some(1964 * 1024));
        assert_eq!(vm_hwm_bytes("VmHWM:\tlots kB\n"), None);
        assert_eq!(vm_hwm_bytes(""), None);
    }

    #[test]
    fn detects_this_machine() {
        let m = Machine::detect();
        assert!(m.logical_cores >= 1);
        assert_eq!(m.simd_runtime.len(), SIMD_FEATURES.len());
        // A binary compiled for a feature only runs on CPUs that have it.
        for (f, &compiled) in &m.simd_compiled {
            if compiled && cfg!(target_arch = "x86_64") {
                assert!(m.simd_runtime[f], "compiled with {f} but CPU lacks it");
            }
        }
        if cfg!(target_os = "linux") {
            assert!(peak_rss_bytes().is_some_and(|b| b > 0));
        }
    }
}
