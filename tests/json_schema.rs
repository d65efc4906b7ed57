//! The JSON schema in docs/ is checked against real output of every capture we ship.

mod common;
use common::*;

#[test]
fn real_output_matches_the_documented_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/docs/json-schema.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("schema file"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut files: Vec<String> =
        std::fs::read_dir(format!("{}/tests/captures", env!("CARGO_MANIFEST_DIR")))
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path().to_string_lossy().to_string())
            .filter(|p| p.contains(".pcap"))
            .collect();
    files.extend(
        std::fs::read_dir(format!("{}/samples", env!("CARGO_MANIFEST_DIR")))
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path().to_string_lossy().to_string())
            .filter(|p| p.contains(".pcap")),
    );
    assert!(files.len() > 30);
    for f in &files {
        let (v, _) = analyze_json(&[f], &[]);
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect();
        assert!(errors.is_empty(), "{f}: {errors:?}");
    }
    // A schema that could not fail would prove nothing: break a document and see it rejected.
    let (mut v, _) = analyze_json(&[&files[0]], &[]);
    v["schema"] = serde_json::json!("something-else");
    assert!(!validator.is_valid(&v));
}
