//! meshctl's YAML reader against kubectl's on arbitrary bytes: the same documents with the same
//! JSON values, and a problem from meshctl wherever kubectl refuses a document (refusing one that
//! kubectl reads is a failure, unless it is one of meshctl's documented limits). kubectl's reader
//! is the binary that `scripts/yaml-oracle.sh build` makes, found through `MESHCTL_YAML_ORACLE` or
//! that script. The classes of input that tests/yaml_oracle.rs allows to disagree (its `ALLOWED`)
//! are passed over: documents kubectl reads where meshctl's only problem is the line of a quoted
//! string or a flow collection left of its collection that it says it cannot read.

#![no_main]

#[path = "../../tests/oracle/mod.rs"]
mod oracle;

use libfuzzer_sys::fuzz_target;
use meshctl::source::{Document, ProblemKind};
use oracle::{Kube, Verdict};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

static ORACLE: LazyLock<PathBuf> = LazyLock::new(|| {
    oracle::find(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .expect("kubectl's YAML reader: run scripts/yaml-oracle.sh build, or set MESHCTL_YAML_ORACLE")
});

/// saphyr refuses a line of a quoted string or a flow collection left of the block collection
/// around it, which go-yaml reads; meshctl reads most of them, and says which it cannot with this
/// message (ALLOWED's "... continued less indented after ..." cases).
fn left_of_collection_limit(kube: &Kube, doc: &Document) -> bool {
    matches!(kube, Kube::Value(_))
        && !doc.problems.is_empty()
        && doc.problems.iter().all(|p| {
            p.kind == ProblemKind::Syntax
                && p.message.ends_with("Kubernetes reads it, meshctl's YAML parser (YAML 1.2) does not")
        })
}

fuzz_target!(|data: &[u8]| {
    let kube = oracle::kube(&ORACLE, data);
    let docs = oracle::meshctl(data);
    for (i, v) in oracle::compare(&kube, &docs).into_iter().enumerate() {
        if let Verdict::Disagree(why) = v {
            if let (Some(k), Some(d)) = (kube.get(i), docs.get(i))
                && left_of_collection_limit(k, d)
            {
                continue;
            }
            panic!("document {}: {why}", i + 1);
        }
    }
});
