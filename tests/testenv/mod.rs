//! The test cluster that `scripts/kube-testenv.sh start` runs (kube-apiserver, etcd and the CRDs
//! meshctl validates against), shared by tests/cluster.rs and tests/apiserver_oracle.rs. Without
//! it the tests print a note and pass, unless `MESHCTL_REQUIRE_TESTENV=1` (set by `.ci/run`),
//! which makes its absence a failure.

use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::{Path, PathBuf};

/// The test cluster's kubeconfig, or `None` (after a note) when it is not running.
pub fn kubeconfig() -> Option<PathBuf> {
    let dir = std::env::var_os("MESHCTL_TESTENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/testenv"));
    let path = dir.join("kubeconfig");
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("MESHCTL_REQUIRE_TESTENV").is_ok_and(|v| v == "1") {
        panic!("MESHCTL_REQUIRE_TESTENV=1 but {} does not exist (scripts/kube-testenv.sh start)", path.display());
    }
    eprintln!("note: skipped: no test cluster at {} (scripts/kube-testenv.sh start)", path.display());
    None
}

/// A client for the cluster of `kubeconfig`.
pub async fn client(kubeconfig: &Path) -> kube::Client {
    let kc = Kubeconfig::read_from(kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await.unwrap();
    kube::Client::try_from(config).unwrap()
}
