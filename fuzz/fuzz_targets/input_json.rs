//! Input and calibration files (EZKL's `{"input_data": [[...]], "labels": [...]}`):
//! `Dataset::parse` on arbitrary text, then the shape check. Oracle: no panic; a parsed set
//! has only finite values and as many labels as samples.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use zkinfer_models::data::Dataset;

fuzz_target!(init: { zkinfer_fuzz::install_panic_policy(); }, |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(d) = Dataset::parse(text, Path::new("fuzz.json")) else { return };
    assert!(d.samples.iter().flatten().all(|x| x.is_finite()), "non-finite value accepted");
    if let Some(l) = &d.labels {
        assert_eq!(l.len(), d.samples.len());
    }
    let _ = d.check_shape(&[1, 64]);
    let _ = d.check_shape(&[]);
});
