//! The CPU features this build's field arithmetic needs.
//!
//! On x86-64 the prover turns on halo2curves' `asm` feature: BN254's field multiplication in
//! assembly with `mulx`, `adcx` and `adox` (BMI2 and ADX: every Intel CPU since Broadwell,
//! every AMD one since Zen). The feature applies to every crate of the build that uses
//! halo2curves (the native verifier too), so the binary and the Python module call [`check`]
//! before anything else: on a CPU without those instructions they stop with this error instead
//! of dying of an illegal instruction. Other architectures use the portable arithmetic and
//! need nothing.

/// The instructions the build uses and this CPU lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this CPU lacks {missing}, which zkinfer's x86-64 build uses for BN254 field arithmetic (halo2curves' `asm` feature); build zkinfer on another architecture or run it on a CPU with BMI2 and ADX (x86-64 since 2015)")]
pub struct UnsupportedCpu {
    /// The missing instruction-set extensions, comma-separated (`bmi2`, `adx`).
    pub missing: String,
}

/// `Ok` when this CPU runs the build's field arithmetic.
pub fn check() -> Result<(), UnsupportedCpu> {
    let missing = missing_features();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(UnsupportedCpu { missing: missing.join(", ") })
    }
}

#[cfg(target_arch = "x86_64")]
fn missing_features() -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !std::arch::is_x86_feature_detected!("bmi2") {
        missing.push("bmi2");
    }
    if !std::arch::is_x86_feature_detected!("adx") {
        missing.push("adx");
    }
    missing
}

#[cfg(not(target_arch = "x86_64"))]
fn missing_features() -> Vec<&'static str> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests run on this CPU, so it has what the build uses (or the field tests would
    /// already have died), and the error names what is missing.
    #[test]
    fn this_cpu_runs_the_build_and_the_error_names_the_missing_features() {
        assert_eq!(check(), Ok(()));
        let e = UnsupportedCpu { missing: "bmi2, adx".into() };
        assert!(e.to_string().contains("lacks bmi2, adx"), "{e}");
    }
}
