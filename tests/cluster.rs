//! `apply`, `diff` and `lint --kube` against a real kube-apiserver with etcd and the Istio CRDs,
//! started by `scripts/kube-testenv.sh start` (`.ci/run` does it). Each test works in its own
//! namespace. Without the test environment these tests print a note and pass, unless
//! `MESHCTL_REQUIRE_TESTENV=1` (set by `.ci/run`), which makes its absence a failure (tests/testenv/).

use assert_cmd::Command;
use kube::api::{Api, DynamicObject};
use kube::core::ApiResource;
use std::path::{Path, PathBuf};
use testenv::kubeconfig;

mod testenv;

/// A test's own directory of manifests and the cluster it talks to.
struct Env {
    kubeconfig: PathBuf,
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Option<Env> {
        Some(Env { kubeconfig: kubeconfig()?, dir: tempfile::tempdir().unwrap() })
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.dir.path().join(name), text).unwrap();
        name.to_string()
    }

    fn meshctl(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("meshctl")
            .unwrap()
            .current_dir(self.dir.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code().unwrap(), text(&out.stdout), text(&out.stderr))
    }

    /// The live object, or `None`.
    fn live(&self, api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> Option<serde_json::Value> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let client = testenv::client(&self.kubeconfig).await;
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let ar = ApiResource {
                group: group.into(),
                version: version.into(),
                api_version: api_version.into(),
                kind: kind.into(),
                plural: match kind.to_lowercase() {
                    k if k.ends_with('s') => format!("{k}es"),
                    k => format!("{k}s"),
                },
            };
            let api: Api<DynamicObject> = match ns {
                Some(ns) => Api::namespaced_with(client, ns, &ar),
                None => Api::all_with(client, &ar),
            };
            api.get_opt(name).await.unwrap().map(|o| serde_json::to_value(o).unwrap())
        })
    }
}

/// A namespace of its own for each test and run, so that runs against one cluster do not meet.
fn unique(base: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{base}-{:x}-{nanos:x}", std::process::id())
}

fn namespace(ns: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")
}

fn service(ns: &str, name: &str, app: &str, port: u16) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector:\n    app: {app}\n  \
         ports:\n  - name: http\n    port: {port}\n"
    )
}

fn virtual_service(ns: &str, host: &str, timeout: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {host}\n  namespace: {ns}\n\
         spec:\n  hosts: [{host}]\n  http:\n  - timeout: {timeout}\n    route:\n    - destination:\n        host: {host}\n"
    )
}

fn resource_version(v: &serde_json::Value) -> String {
    v["metadata"]["resourceVersion"].as_str().unwrap().to_string()
}

#[test]
fn apply_creates_then_reapply_and_diff_change_nothing() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-apply");
    let set = format!(
        "{}---\n{}---\n{}",
        namespace(ns),
        service(ns, "reviews", "reviews", 9080),
        virtual_service(ns, "reviews", "5s")
    );
    let f = env.write("set.yaml", &set);

    let (code, out, err) = env.meshctl(&["apply", &f]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("Namespace {ns} created (first, so that the objects in it can be checked)")),
        "{out}"
    );
    assert!(out.contains(&format!("Service {ns}/reviews created")), "{out}");
    assert!(out.contains(&format!("VirtualService {ns}/reviews created")), "{out}");
    let vs = env.live("networking.istio.io/v1", "VirtualService", Some(ns), "reviews").expect("created");
    assert_eq!(vs["spec"]["http"][0]["timeout"], "5s");
    let managers: Vec<&str> =
        vs["metadata"]["managedFields"].as_array().unwrap().iter().map(|m| m["manager"].as_str().unwrap()).collect();
    assert_eq!(managers, ["meshctl"]);

    let (code, out, err) = env.meshctl(&["apply", "-f", &f]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().filter(|l| l.ends_with(" unchanged")).count(), 3, "{out}");
    let again = env.live("networking.istio.io/v1", "VirtualService", Some(ns), "reviews").unwrap();
    assert_eq!(resource_version(&again), resource_version(&vs));

    let (code, out, err) = env.meshctl(&["diff", "--filename", &f]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
}

#[test]
fn diff_shows_a_change_without_printing_secret_values() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-diff");
    let secret = |v: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: {ns}\nstringData:\n  password: {v}\n"
        )
    };
    let f = env
        .write("a.yaml", &format!("{}---\n{}---\n{}", namespace(ns), service(ns, "web", "web", 80), secret("hunter2")));
    let (code, out, err) = env.meshctl(&["apply", &f]);
    assert_eq!(code, 0, "{out}{err}");

    let g = env.write(
        "b.yaml",
        &format!("{}---\n{}---\n{}", namespace(ns), service(ns, "web", "web", 8080), secret("swordfish")),
    );
    let (code, out, err) = env.meshctl(&["diff", &g]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&format!("--- live/Service/{ns}/web")), "{out}");
    assert!(out.contains("-      port: 80\n"), "{out}");
    assert!(out.contains("+      port: 8080\n"), "{out}");
    assert!(out.contains("-  password: \"*** (before)\""), "{out}");
    assert!(out.contains("+  password: \"*** (after)\""), "{out}");
    for secret in ["hunter2", "aHVudGVyMg==", "swordfish", "c3dvcmRmaXNo"] {
        assert!(!out.contains(secret) && !err.contains(secret), "{secret} printed:\n{out}{err}");
    }
    let live = env.live("v1", "Service", Some(ns), "web").unwrap();
    assert_eq!(live["spec"]["ports"][0]["port"], 80, "diff wrote nothing");
}

#[test]
fn a_set_with_one_refused_object_writes_none() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-refuse");
    let bad = virtual_service(ns, "ratings", "0.1ms");
    let f =
        env.write("set.yaml", &format!("{}---\n{}---\n{bad}", namespace(ns), service(ns, "ratings", "ratings", 9080)));
    let (code, out, err) = env.meshctl(&["apply", "--no-lint", &f]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--no-lint"), "said loudly: {err}");
    assert!(out.contains(&format!("refused: VirtualService {ns}/ratings (set.yaml:")), "{out}");
    assert!(out.contains("timeout"), "the server's message: {out}");
    assert!(out.contains(&format!("nothing else written (Namespaces created first: {ns})")), "{out}");
    assert!(env.live("v1", "Service", Some(ns), "ratings").is_none(), "the Service was written");
    assert!(env.live("networking.istio.io/v1", "VirtualService", Some(ns), "ratings").is_none());
}

#[test]
fn lint_errors_refuse_the_apply_before_the_cluster() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-lintgate");
    let set =
        format!("{}---\n{}---\n{}", namespace(ns), service(ns, "web", "web", 80), virtual_service(ns, "nowhere", "5s"));
    let f = env.write("set.yaml", &set);
    let (code, out, err) = env.meshctl(&["apply", &f]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("MESH0201"), "{err}");
    assert!(err.contains("nothing sent to the cluster"), "{err}");
    assert!(env.live("v1", "Namespace", None, ns).is_none());
}

#[test]
fn server_dry_run_writes_nothing() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-dry");
    let (code, out, err) = env.meshctl(&["apply", &env.write("ns.yaml", &namespace(ns))]);
    assert_eq!(code, 0, "{out}{err}");
    let f = env.write(
        "set.yaml",
        &format!("{}---\n{}", service(ns, "details", "details", 9080), virtual_service(ns, "details", "5s")),
    );
    let (code, out, err) = env.meshctl(&["apply", "--dry-run", "server", &f]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("Service {ns}/details created (server dry run)")), "{out}");
    assert!(out.contains(&format!("VirtualService {ns}/details created (server dry run)")), "{out}");
    assert!(env.live("v1", "Service", Some(ns), "details").is_none());
    assert!(env.live("networking.istio.io/v1", "VirtualService", Some(ns), "details").is_none());
}

#[test]
fn a_conflict_names_the_other_manager_and_force_conflicts_resolves_it() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-conflict");
    let theirs = env.write("theirs.yaml", &format!("{}---\n{}", namespace(ns), service(ns, "cart", "cart-v1", 80)));
    let (code, out, err) = env.meshctl(&["apply", "--field-manager", "other-team", &theirs]);
    assert_eq!(code, 0, "{out}{err}");

    let ours = env.write("ours.yaml", &service(ns, "cart", "cart-v2", 80));
    let (code, out, err) = env.meshctl(&["apply", "-n", ns, &ours]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains(&format!("refused: Service {ns}/cart")), "{out}");
    assert!(out.contains("other-team"), "names the owner: {out}");
    assert!(out.contains("--force-conflicts"), "{out}");
    let live = env.live("v1", "Service", Some(ns), "cart").unwrap();
    assert_eq!(live["spec"]["selector"]["app"], "cart-v1");

    let (code, out, err) = env.meshctl(&["apply", "--force-conflicts", &ours]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("Service {ns}/cart configured")), "{out}");
    let live = env.live("v1", "Service", Some(ns), "cart").unwrap();
    assert_eq!(live["spec"]["selector"]["app"], "cart-v2");
}

#[test]
fn lint_kube_resolves_a_service_that_exists_only_in_the_cluster() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-lintkube");
    let svc = env.write("svc.yaml", &format!("{}---\n{}", namespace(ns), service(ns, "ratings", "ratings", 9080)));
    let (code, out, err) = env.meshctl(&["apply", &svc]);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::remove_file(env.dir.path().join(&svc)).unwrap();
    // The file defines a Service in the namespace too, so that lint looks at its hosts.
    let vs = env.write(
        "vs.yaml",
        &format!("{}---\n{}", service(ns, "details", "details", 80), virtual_service(ns, "ratings", "5s")),
    );

    let (code, out, _) = env.meshctl(&["lint", "--no-config", "-n", ns, &vs]);
    assert_eq!(code, 1, "without the cluster the host is unknown: {out}");
    assert!(out.contains("MESH0201"), "{out}");

    let (code, out, err) = env.meshctl(&["lint", "--no-config", "--kube", "-n", ns, &vs]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("MESH0201"), "{out}");
}

/// A kubeconfig whose server does not answer: port 1 on loopback.
fn unreachable_kubeconfig(dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n\
         users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: nowhere\n  context: {cluster: c, user: u}\n\
         current-context: nowhere\n",
    )
    .unwrap();
    path
}

#[test]
fn an_unreachable_cluster_is_exit_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = unreachable_kubeconfig(dir.path());
    let vs = dir.path().join("vs.yaml");
    std::fs::write(&vs, virtual_service("default", "reviews", "5s")).unwrap();
    let (diff, apply) = (vec!["diff"], vec!["apply", "--no-lint"]);
    let (diff_f, apply_f) = (vec!["diff", "-f"], vec!["apply", "--no-lint", "--filename"]);
    for args in [vec!["lint", "--kube", "--timeout", "5s"], diff, apply, diff_f, apply_f] {
        let out = Command::cargo_bin("meshctl")
            .unwrap()
            .current_dir(dir.path())
            .env("KUBECONFIG", &kubeconfig)
            .args(&args)
            .arg(&vs)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("meshctl: error:") && err.contains("127.0.0.1:1"), "{args:?}: {err}");
    }
}

/// Something on loopback that answers every request with 404, as a web server that is not a
/// Kubernetes API server would; its kubeconfig.
fn not_an_api_server(dir: &Path) -> PathBuf {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = "404 page not found\n";
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\n\
             users:\n- name: u\n  user: {{}}\ncontexts:\n- name: web\n  context: {{cluster: c, user: u}}\n\
             current-context: web\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_server_that_is_not_kubernetes_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = not_an_api_server(dir.path());
    let vs = dir.path().join("vs.yaml");
    std::fs::write(&vs, virtual_service("default", "reviews", "5s")).unwrap();
    let out = Command::cargo_bin("meshctl")
        .unwrap()
        .current_dir(dir.path())
        .env("KUBECONFIG", &kubeconfig)
        .args(["lint", "--no-config", "--kube", "--timeout", "10s"])
        .arg(&vs)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is not a Kubernetes API server"), "{err}");
}

#[test]
fn an_unknown_context_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = unreachable_kubeconfig(dir.path());
    let out = Command::cargo_bin("meshctl")
        .unwrap()
        .env("KUBECONFIG", &kubeconfig)
        .args(["diff", "--context", "prod", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("context `prod` is not in the kubeconfig"));
}

#[test]
fn render_prints_what_apply_sends_in_apply_order() {
    let dir = tempfile::tempdir().unwrap();
    let set = format!(
        "{}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData: {{token: hunter2}}\n---\n{}---\n{}",
        virtual_service("shop", "cart", "5s"),
        service("shop", "cart", "cart", 80),
        namespace("shop")
    );
    std::fs::write(dir.path().join("set.yaml"), set).unwrap();
    let out = Command::cargo_bin("meshctl")
        .unwrap()
        .current_dir(dir.path())
        .args(["render", "-n", "team", "set.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!(text, @r#"
    apiVersion: v1
    kind: Namespace
    metadata:
      name: shop
    ---
    apiVersion: v1
    kind: Secret
    metadata:
      name: s
      namespace: team
    stringData:
      token: "***"
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: cart
      namespace: shop
    spec:
      selector:
        app: cart
      ports:
        - name: http
          port: 80
    ---
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata:
      name: cart
      namespace: shop
    spec:
      hosts:
        - cart
      http:
        - timeout: 5s
          route:
            - destination:
                host: cart
    "#);
    let out = Command::cargo_bin("meshctl")
        .unwrap()
        .current_dir(dir.path())
        .args(["render", "-o", "json", "--show-secrets", "set.yaml"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "List");
    assert_eq!(v["items"][1]["stringData"]["token"], "hunter2");
    assert_eq!(v["items"][1]["metadata"]["namespace"], "default");
}

#[test]
fn diff_names_the_lint_findings_a_change_introduces() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-difflint");
    let before =
        format!("{}---\n{}---\n{}", namespace(ns), service(ns, "shop", "shop", 80), virtual_service(ns, "shop", "5s"));
    let (code, out, err) = env.meshctl(&["apply", &env.write("before.yaml", &before)]);
    assert_eq!(code, 0, "{out}{err}");

    let broken = virtual_service(ns, "shop", "5s").replace("        host: shop", "        host: shopp");
    let after = format!("{}---\n{}---\n{broken}", namespace(ns), service(ns, "shop", "shop", 80));
    let (code, out, err) = env.meshctl(&["diff", &env.write("after.yaml", &after)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("-            host: shop\n+            host: shopp\n"), "{out}");
    assert!(out.contains("lint: 1 introduced, 0 fixed, 0 unchanged"), "{out}");
    assert!(out.contains(&format!("introduced: error MESH0201 VirtualService {ns}/shop:")), "{out}");
}

#[test]
fn a_kind_the_server_does_not_serve_is_named_before_anything_is_sent() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-nocrd");
    let vs = virtual_service(ns, "a", "5s").replace("networking.istio.io/v1", "networking.istio.io/v9");
    let (code, out, err) =
        env.meshctl(&["apply", "--no-lint", &env.write("set.yaml", &format!("{}---\n{vs}", namespace(ns)))]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("does not serve networking.istio.io/v9 VirtualService; the Istio CRDs are not installed"),
        "{err}"
    );
    assert!(env.live("v1", "Namespace", None, ns).is_none(), "nothing was written");
}

/// A CRD's transition rule (GatewayClass `controllerName` is immutable: `self == oldSelf`) refuses
/// the update in the server's dry run, and meshctl names the field it evaluated the rule on.
#[test]
fn an_immutable_field_is_named_where_the_update_changes_it() {
    let Some(env) = Env::new() else { return };
    let name = &unique("t-immutable");
    let class = |controller: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: {name}\nspec:\n  controllerName: {controller}\n"
        )
    };
    let (code, out, err) = env.meshctl(&["apply", "--no-lint", &env.write("a.yaml", &class("example.com/a"))]);
    assert_eq!(code, 0, "{out}{err}");
    let changed = env.write("b.yaml", &class("example.com/b"));
    for args in [vec!["diff", &changed], vec!["apply", "--no-lint", &changed]] {
        let command = args[0];
        let (code, out, err) = env.meshctl(&args);
        assert_eq!(code, 2, "{command}: {out}{err}");
        assert!(out.contains(&format!("refused: GatewayClass {name} (b.yaml:")), "{command}: {out}");
        assert!(
            out.contains("\n  /spec/controllerName: GatewayClass.spec.controllerName: field is immutable"),
            "{command}: {out}"
        );
    }
    let live = env.live("gateway.networking.k8s.io/v1", "GatewayClass", None, name).unwrap();
    assert_eq!(live["spec"]["controllerName"], "example.com/a");
}

/// `lint --kube` validates Istio kinds for the release the cluster's istiod runs (read from its
/// Deployment's image here), says so, and `--istio-version` still wins.
#[test]
fn lint_kube_validates_for_the_istio_release_of_the_cluster() {
    let Some(env) = Env::new() else { return };
    let ns = &unique("t-istiod");
    let istiod = format!(
        "{}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: istiod\n  namespace: {ns}\n  labels:\n    \
         app: istiod\n    istio.io/rev: default\nspec:\n  selector:\n    matchLabels: {{app: istiod}}\n  template:\n    \
         metadata:\n      labels: {{app: istiod}}\n    spec:\n      containers:\n      - name: discovery\n        \
         image: docker.io/istio/pilot:1.30.8-distroless\n",
        namespace(ns)
    );
    let file = env.write("istiod.yaml", &istiod);
    let (code, out, err) = env.meshctl(&["apply", &file]);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::remove_file(env.dir.path().join(&file)).unwrap();
    // Deleted however the test ends, so that other runs' `lint --kube` do not find it.
    struct Delete<'a>(&'a Env, String);
    impl Drop for Delete<'_> {
        fn drop(&mut self) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let client = testenv::client(&self.0.kubeconfig).await;
                let api: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client, &self.1);
                let _ = api.delete("istiod", &Default::default()).await;
            });
        }
    }
    let _delete = Delete(&env, ns.clone());

    let dr = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema/http2-keepalive.yaml"))
        .unwrap();
    let file = env.write("dr.yaml", &dr);
    let (code, out, err) = env.meshctl(&["lint", "--no-config", "--kube", "-f", "json", "-n", ns, &file]);
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let messages: Vec<&str> =
        v["diagnostics"].as_array().unwrap().iter().filter_map(|d| d["message"].as_str()).collect();
    assert!(messages.iter().any(|m| m.ends_with("needs Istio 1.31; validating for 1.30")), "{messages:?}");
    let said = format!(
        "validating Istio kinds for 1.30: istiod {ns}/istiod (revision default, image docker.io/istio/pilot:1.30.8-distroless) runs Istio 1.30.8"
    );
    assert!(err.contains(&said), "{err}");

    let (code, out, err) = env.meshctl(&["lint", "--no-config", "--kube", "-n", ns, "--istio-version", "1.32", &file]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("validating Istio kinds"), "{err}");
}
