//! The book stays true to the workspace, offline: every crate under `crates/` is named in the
//! architecture page, so a new crate cannot arrive without its line there.

use std::path::Path;

#[test]
fn every_workspace_crate_is_in_the_architecture_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let page = std::fs::read_to_string(root.join("docs/src/architecture.md"))
        .expect("docs/src/architecture.md");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root.join("crates")).expect("crates/") {
        let manifest = entry.expect("a crates/ entry").path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue; // not a crate
        };
        let name = text
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .map(|quoted| quoted.trim().trim_matches('"').to_string())
            .unwrap_or_else(|| panic!("no package name in {}", manifest.display()));
        // Named as the table names crates: in backticks.
        if !page.contains(&format!("`{name}`")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "crates missing from docs/src/architecture.md: {missing:?}"
    );
}
