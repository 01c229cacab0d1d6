//! What the API server checks of built-in kinds in Go, beyond their OpenAPI schema: Kubernetes
//! 1.36's `pkg/apis/core/validation/validation.go` (`ValidatePodSpec`, `validateService`,
//! `ValidateSecret`, `ValidateObjectMeta`) and `pkg/apis/apps/validation/validation.go`
//! (`ValidateDeploymentSpec`, `ValidateStatefulSetSpec`, `ValidateDaemonSetSpec`). The server
//! validates the object after its defaults are applied (`pkg/apis/*/v1/defaults.go`), so a field
//! the defaults fill (a port's `protocol`, a Pod's `restartPolicy`, a Deployment's `strategy`) is
//! never reported missing here, and the checks read the defaulted value.
//!
//! Each check reads the document as written and passes over values of the wrong type: the
//! schema reports those, and the server would not have decoded the object to validate it.
//! Metadata (label and annotation keys and values) is checked for every kind, custom resources
//! included: the server validates every object's `ObjectMeta`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::apimachinery::{
    config_key, dns1123_label, dns1123_subdomain, label_value, percent, port_name, port_num, qualified_name,
};
use super::validate::{SchemaError, SchemaErrorKind, enum_error};
use crate::source::escape_segment;

/// `ValidateAnnotations`' bound on the total size of keys and values (`TotalAnnotationSizeLimitB`).
const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;
/// `core.MaxSecretSize`.
const SECRET_MAX_BYTES: usize = 1024 * 1024;

/// The Go-side errors of a document of `group`/`kind`; only metadata for kinds other than the
/// built-in ones meshctl knows.
pub(super) fn validate(group: &str, kind: &str, doc: &Value) -> Vec<SchemaError> {
    let mut out = Out::default();
    out.object_meta(doc.get("metadata"), "/metadata");
    let spec = doc.get("spec");
    match (group, kind) {
        ("", "Pod") => {
            if let Some(spec) = spec {
                out.pod_spec(spec, "/spec", &[]);
            }
        }
        ("", "Service") => {
            if let Some(spec) = spec {
                out.service(spec);
            }
        }
        ("", "Secret") => out.secret(doc),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet") => {
            if let Some(spec) = spec.and_then(Value::as_object) {
                out.workload(kind, spec);
            }
        }
        _ => {}
    }
    out.0
}

#[derive(Default)]
struct Out(Vec<SchemaError>);

/// `/a/b` and a key, as a pointer (the key escaped).
fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", escape_segment(key))
}

fn str_at<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

fn items<'a>(object: &'a Value, key: &str) -> &'a [Value] {
    object.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

impl Out {
    fn push(&mut self, pointer: String, kind: SchemaErrorKind, message: String, help: Option<String>) {
        self.0.push(SchemaError { pointer, kind, message, help });
    }

    /// A field the object at `object` lacks (and no default fills).
    fn missing(&mut self, object: &str, field: &str, what: &str) {
        let message = format!("missing required field \"{field}\": {what}");
        self.push(object.to_string(), SchemaErrorKind::Missing { field: field.to_string() }, message, None);
    }

    /// Each message of a failed apimachinery check of `value`, as an invalid value.
    fn format(&mut self, pointer: &str, what: &str, value: &str, messages: Vec<String>) {
        if !messages.is_empty() {
            let message = format!("\"{value}\" is not a valid {what}: {}", messages.join("; "));
            self.push(pointer.to_string(), SchemaErrorKind::Format, message, None);
        }
    }

    /// `field.NotSupported`: a value outside the values the Go code accepts.
    fn not_supported(&mut self, pointer: &str, field: &str, value: &str, allowed: &[&str]) {
        let allowed = allowed.iter().map(|a| a.to_string()).collect();
        self.0.push(enum_error(pointer.to_string(), field, value.to_string(), allowed));
    }

    fn other(&mut self, pointer: &str, message: String) {
        self.push(pointer.to_string(), SchemaErrorKind::Other, message, None);
    }

    fn duplicate(&mut self, pointer: &str, message: String) {
        self.push(pointer.to_string(), SchemaErrorKind::Duplicate, message, None);
    }

    fn range(&mut self, pointer: &str, message: String) {
        self.push(pointer.to_string(), SchemaErrorKind::Range, message, None);
    }

    /// `field.Forbidden`: a field that another one's value excludes.
    fn forbidden(&mut self, pointer: &str, fields: &[&str], message: String) {
        let fields = fields.iter().map(|f| f.to_string()).collect();
        self.push(pointer.to_string(), SchemaErrorKind::OneOf { fields }, message, None);
    }

    /// `ValidateObjectMeta`'s label and annotation checks.
    fn object_meta(&mut self, meta: Option<&Value>, at: &str) {
        let Some(meta) = meta else { return };
        if let Some(labels) = meta.get("labels").and_then(Value::as_object) {
            self.labels(labels, &child(at, "labels"));
        }
        if let Some(annotations) = meta.get("annotations").and_then(Value::as_object) {
            let at = child(at, "annotations");
            let mut total = 0;
            for (key, value) in annotations {
                // `ValidateAnnotations` checks the key lower-cased.
                let pointer = child(&at, key);
                self.format(&pointer, "annotation key", key, qualified_name(&key.to_ascii_lowercase()));
                total += key.len() + value.as_str().map_or(0, str::len);
            }
            if total > ANNOTATIONS_MAX_BYTES {
                self.range(
                    &at,
                    format!("the annotations take {total} bytes; they may take at most {ANNOTATIONS_MAX_BYTES}"),
                );
            }
        }
    }

    /// `ValidateLabels`: keys are qualified names, values label values.
    fn labels(&mut self, labels: &Map<String, Value>, at: &str) {
        for (key, value) in labels {
            let pointer = child(at, key);
            self.format(&pointer, "label key", key, qualified_name(key));
            if let Some(v) = value.as_str() {
                self.format(&pointer, "label value", v, label_value(v));
            }
        }
    }

    /// `ValidatePodTemplateSpec` and `ValidatePodSpec` (the parts people get wrong by hand).
    /// `claims` are the names of a StatefulSet's `volumeClaimTemplates`, which the controller adds
    /// to the Pods' volumes (and `ValidateStatefulSetSpec` to the template it validates).
    fn pod_spec(&mut self, spec: &Value, at: &str, claims: &[&str]) {
        let mut volumes = self.volumes(items(spec, "volumes"), &child(at, "volumes"));
        volumes.extend(claims.iter().map(|c| c.to_string()));
        let containers = items(spec, "containers");
        let containers_at = child(at, "containers");
        match spec.get("containers") {
            None => self.missing(at, "containers", "a Pod needs at least one container"),
            Some(Value::Array(list)) if list.is_empty() => {
                self.other(&containers_at, "`containers` is empty: a Pod needs at least one container".into())
            }
            _ => {}
        }
        let mut names = BTreeSet::new();
        for (i, c) in containers.iter().enumerate() {
            self.container(c, &format!("{containers_at}/{i}"), &volumes, &mut names, "container");
        }
        // validateInitContainers: an init container's name may not repeat any container's.
        let init_at = child(at, "initContainers");
        for (i, c) in items(spec, "initContainers").iter().enumerate() {
            self.container(c, &format!("{init_at}/{i}"), &volumes, &mut names, "container or init container");
        }
        if let Some(policy) = str_at(spec, "restartPolicy") {
            self.one_of(&child(at, "restartPolicy"), "restartPolicy", policy, &["Always", "OnFailure", "Never"]);
        }
        if let Some(policy) = str_at(spec, "dnsPolicy") {
            let allowed = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
            self.one_of(&child(at, "dnsPolicy"), "dnsPolicy", policy, &allowed);
        }
        if let Some(selector) = spec.get("nodeSelector").and_then(Value::as_object) {
            self.labels(selector, &child(at, "nodeSelector"));
        }
    }

    /// A value the Go code checks against a fixed list (`field.NotSupported`).
    fn one_of(&mut self, pointer: &str, field: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.not_supported(pointer, field, value, allowed);
        }
    }

    /// `ValidateVolumes`: names are DNS labels, each once. Returns the names.
    fn volumes(&mut self, volumes: &[Value], at: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for (i, v) in volumes.iter().enumerate() {
            let Some(name) = str_at(v, "name") else { continue };
            let pointer = format!("{at}/{i}/name");
            self.format(&pointer, "volume name", name, dns1123_label(name));
            if !names.insert(name.to_string()) {
                self.duplicate(&pointer, format!("volume `{name}` is declared twice in this Pod"));
            }
        }
        names
    }

    /// `validateContainerCommon` and the name uniqueness of `validateContainers`.
    fn container(
        &mut self,
        c: &Value,
        at: &str,
        volumes: &BTreeSet<String>,
        names: &mut BTreeSet<String>,
        among: &str,
    ) {
        match str_at(c, "name") {
            Some(name) => {
                let pointer = child(at, "name");
                self.format(&pointer, "container name", name, dns1123_label(name));
                if !names.insert(name.to_string()) {
                    self.duplicate(&pointer, format!("`{name}` is the name of an earlier {among} of this Pod"));
                }
            }
            None if c.get("name").is_none() => self.missing(at, "name", "every container needs a name"),
            None => {}
        }
        if c.get("image").is_none() || str_at(c, "image") == Some("") {
            self.missing(at, "image", "every container needs an image");
        }
        if let Some(policy) = str_at(c, "imagePullPolicy") {
            let allowed = ["Always", "IfNotPresent", "Never"];
            self.one_of(&child(at, "imagePullPolicy"), "imagePullPolicy", policy, &allowed);
        }
        if let Some(policy) = str_at(c, "terminationMessagePolicy") {
            let allowed = ["File", "FallbackToLogsOnError"];
            self.one_of(&child(at, "terminationMessagePolicy"), "terminationMessagePolicy", policy, &allowed);
        }
        self.container_ports(items(c, "ports"), &child(at, "ports"));
        for (i, env) in items(c, "env").iter().enumerate() {
            if env.is_object() && env.get("name").is_none() {
                self.missing(&format!("{at}/env/{i}"), "name", "every environment variable needs a name");
            }
        }
        for (i, mount) in items(c, "volumeMounts").iter().enumerate() {
            if let Some(name) = str_at(mount, "name")
                && !volumes.contains(name)
            {
                let pointer = format!("{at}/volumeMounts/{i}/name");
                self.other(&pointer, format!("no volume of this Pod is named `{name}`"));
            }
        }
    }

    /// `validateContainerPorts`.
    fn container_ports(&mut self, ports: &[Value], at: &str) {
        let mut names = BTreeSet::new();
        for (i, p) in ports.iter().enumerate() {
            let here = format!("{at}/{i}");
            if let Some(name) = str_at(p, "name") {
                let pointer = child(&here, "name");
                let problems = port_name(name);
                if !problems.is_empty() {
                    self.format(&pointer, "port name", name, problems);
                } else if !names.insert(name.to_string()) {
                    self.duplicate(&pointer, format!("`{name}` is the name of an earlier port of this container"));
                }
            }
            match p.get("containerPort").and_then(Value::as_i64) {
                Some(0) => self.missing(&here, "containerPort", "a container port needs its number"),
                Some(n) => self.port_number(&child(&here, "containerPort"), n),
                None => {}
            }
            if let Some(n) = p.get("hostPort").and_then(Value::as_i64).filter(|n| *n != 0) {
                self.port_number(&child(&here, "hostPort"), n);
            }
        }
    }

    fn port_number(&mut self, pointer: &str, n: i64) {
        if let [msg] = port_num(n).as_slice() {
            self.range(pointer, format!("{n} is out of range: a port number {msg}"));
        }
    }

    /// `validateService` and `validateServicePort`, after `SetDefaults_Service` (type ClusterIP,
    /// protocol TCP, targetPort = port).
    fn service(&mut self, spec: &Value) {
        let kind = str_at(spec, "type").unwrap_or("ClusterIP");
        let headless = str_at(spec, "clusterIP") == Some("None")
            || items(spec, "clusterIPs").first().and_then(Value::as_str) == Some("None");
        let ports = items(spec, "ports");
        if ports.is_empty() && !headless && kind != "ExternalName" && spec.get("ports").is_none() {
            self.missing(
                "/spec",
                "ports",
                "a Service that is not headless (clusterIP: None) or ExternalName needs ports",
            );
        } else if ports.is_empty() && !headless && kind != "ExternalName" {
            self.other(
                "/spec/ports",
                "`ports` is empty: a Service that is not headless or ExternalName needs ports".into(),
            );
        }
        match kind {
            "LoadBalancer" | "NodePort" if headless => self.forbidden(
                "/spec/clusterIP",
                &["clusterIP", "type"],
                format!("`clusterIP: None` (headless) is not allowed for a {kind} Service"),
            ),
            "ExternalName" => {
                if let Some(ip) = str_at(spec, "clusterIP").filter(|ip| !ip.is_empty()) {
                    let message = format!("`clusterIP: {ip}` is not allowed for an ExternalName Service");
                    self.forbidden("/spec/clusterIP", &["clusterIP", "type"], message);
                }
                match str_at(spec, "externalName").map(|n| n.strip_suffix('.').unwrap_or(n)) {
                    Some("") | None if spec.get("externalName").is_none_or(Value::is_string) => {
                        self.missing("/spec", "externalName", "an ExternalName Service needs the name it aliases")
                    }
                    Some(name) => {
                        self.format("/spec/externalName", "externalName", name, dns1123_subdomain(name));
                    }
                    None => {}
                }
            }
            _ => {}
        }
        let mut names = BTreeSet::new();
        let mut seen: BTreeMap<(i64, String), usize> = BTreeMap::new();
        for (i, p) in ports.iter().enumerate() {
            let here = format!("/spec/ports/{i}");
            match str_at(p, "name") {
                Some(name) if !name.is_empty() => {
                    let pointer = child(&here, "name");
                    self.format(&pointer, "port name", name, dns1123_label(name));
                    if !names.insert(name.to_string()) {
                        self.duplicate(&pointer, format!("`{name}` is the name of an earlier port of this Service"));
                    }
                }
                _ if ports.len() > 1 && p.get("name").is_none_or(Value::is_string) => {
                    self.missing(&here, "name", "every port of a Service with several ports needs a name")
                }
                _ => {}
            }
            let number = p.get("port").and_then(Value::as_i64);
            match number {
                // The target port defaults to the port (`SetDefaults_Service`): both are wrong.
                Some(n) if p.get("targetPort").is_none() && !port_num(n).is_empty() => self.range(
                    &child(&here, "port"),
                    format!("{n} is out of range: a port number must be between 1 and 65535 (and so must the target port, which defaults to it)"),
                ),
                Some(n) => self.port_number(&child(&here, "port"), n),
                None => {}
            }
            match p.get("targetPort") {
                Some(Value::Number(n)) => {
                    if let Some(n) = n.as_i64() {
                        self.port_number(&child(&here, "targetPort"), n);
                    }
                }
                Some(Value::String(name)) => {
                    self.format(&child(&here, "targetPort"), "targetPort name", name, port_name(name));
                }
                _ => {}
            }
            if let Some(app) = str_at(p, "appProtocol") {
                self.format(&child(&here, "appProtocol"), "appProtocol", app, qualified_name(app));
            }
            if kind == "ClusterIP" && p.get("nodePort").and_then(Value::as_i64).is_some_and(|n| n != 0) {
                let message = "`nodePort` may not be used when the Service's `type` is ClusterIP".into();
                self.forbidden(&child(&here, "nodePort"), &["nodePort", "type"], message);
            }
            if let Some(n) = number {
                let protocol = str_at(p, "protocol").unwrap_or("TCP").to_string();
                if let Some(first) = seen.insert((n, protocol.clone()), i) {
                    self.duplicate(&here, format!("port {n}/{protocol} is already ports[{first}] of this Service"));
                }
            }
        }
        if let Some(selector) = spec.get("selector").and_then(Value::as_object) {
            self.labels(selector, "/spec/selector");
        }
    }

    /// `ValidateSecret`: data keys, size, and the keys each `type` requires. `stringData` is merged
    /// into `data` before validation (`pkg/apis/core/v1/conversion.go`).
    fn secret(&mut self, doc: &Value) {
        let mut keys = BTreeSet::new();
        let mut total = 0;
        for field in ["data", "stringData"] {
            for (key, value) in doc.get(field).and_then(Value::as_object).into_iter().flatten() {
                self.format(&child(&format!("/{field}"), key), "Secret key", key, config_key(key));
                // `data` holds base64: the decoded size is about three quarters of it.
                let len = value.as_str().map_or(0, str::len);
                total += if field == "data" { len / 4 * 3 } else { len };
                keys.insert(key.as_str());
            }
        }
        if total > SECRET_MAX_BYTES {
            self.range(
                "/data",
                format!("the Secret holds about {total} bytes; it may hold at most {SECRET_MAX_BYTES}"),
            );
        }
        let at = if doc.get("data").is_some() { "/data" } else { "" };
        let need = |out: &mut Self, key: &str, kind: &str| {
            if !keys.contains(key) {
                let what = format!("a Secret of type {kind} needs the key `{key}`");
                if at.is_empty() {
                    out.missing(at, "data", &what);
                } else {
                    out.missing(at, key, &what);
                }
            }
        };
        match str_at(doc, "type").unwrap_or("Opaque") {
            kind @ "kubernetes.io/tls" => {
                need(self, "tls.crt", kind);
                need(self, "tls.key", kind);
            }
            kind @ "kubernetes.io/dockerconfigjson" => need(self, ".dockerconfigjson", kind),
            kind @ "kubernetes.io/dockercfg" => need(self, ".dockercfg", kind),
            kind @ "kubernetes.io/ssh-auth" => need(self, "ssh-privatekey", kind),
            kind @ "kubernetes.io/basic-auth" if !keys.contains("username") && !keys.contains("password") => {
                need(self, "username", kind)
            }
            "kubernetes.io/service-account-token" => {
                let annotations = doc.pointer("/metadata/annotations");
                if annotations
                    .and_then(|a| a.get("kubernetes.io/service-account.name"))
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    let at = if annotations.is_some() { "/metadata/annotations" } else { "/metadata" };
                    let field =
                        if annotations.is_some() { "kubernetes.io/service-account.name" } else { "annotations" };
                    self.missing(at, field, "a service-account-token Secret names its ServiceAccount in the annotation `kubernetes.io/service-account.name`");
                }
            }
            _ => {}
        }
    }

    /// Deployment, StatefulSet and DaemonSet: the selector, the template and the update strategy.
    fn workload(&mut self, kind: &str, spec: &Map<String, Value>) {
        let template = spec.get("template");
        let template_labels = template.and_then(|t| t.pointer("/metadata/labels")).and_then(Value::as_object);
        if let Some(t) = template {
            self.object_meta(t.get("metadata"), "/spec/template/metadata");
            if t.get("spec").is_none() {
                self.missing("/spec/template", "spec", "the Pod template needs a spec with at least one container");
            }
            if let Some(pod) = t.get("spec") {
                let claims: Vec<&str> = spec
                    .get("volumeClaimTemplates")
                    .filter(|_| kind == "StatefulSet")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.pointer("/metadata/name").and_then(Value::as_str))
                    .collect();
                self.pod_spec(pod, "/spec/template/spec", &claims);
                // `ValidatePodTemplateSpecForReplicaSet` (Deployment), `ValidateDaemonSetSpec`,
                // `ValidatePodTemplateSpecForStatefulSet`: the Pods of a controller restart always.
                let policy = str_at(pod, "restartPolicy").unwrap_or("Always");
                if policy != "Always" && ["Always", "OnFailure", "Never"].contains(&policy) {
                    let message = format!("a {kind}'s Pods must have `restartPolicy: Always`, not {policy}");
                    self.push(
                        "/spec/template/spec/restartPolicy".into(),
                        SchemaErrorKind::Enum {
                            value: policy.into(),
                            allowed: vec!["Always".into()],
                            suggestion: None,
                        },
                        message,
                        None,
                    );
                }
                if kind == "DaemonSet" && pod.get("activeDeadlineSeconds").is_some() {
                    let message = "a DaemonSet's Pods may not have `activeDeadlineSeconds`".into();
                    self.forbidden("/spec/template/spec/activeDeadlineSeconds", &["activeDeadlineSeconds"], message);
                }
            }
        }
        if let Some(selector) = spec.get("selector") {
            self.selector(kind, selector, template.map(|_| template_labels));
        }
        for field in ["replicas", "minReadySeconds", "revisionHistoryLimit"] {
            if let Some(n) = spec.get(field).and_then(Value::as_i64).filter(|n| *n < 0) {
                self.range(&format!("/spec/{field}"), format!("{n} is out of range: {field} must be 0 or more"));
            }
        }
        match kind {
            "Deployment" => self.deployment(spec),
            "StatefulSet" => self.stateful_set(spec),
            _ => self.daemon_set(spec),
        }
    }

    /// `ValidateLabelSelector` and the match against the template's labels.
    /// `labels` is `None` without a template (which the schema requires), `Some(None)` for a
    /// template without labels.
    fn selector(&mut self, kind: &str, selector: &Value, labels: Option<Option<&Map<String, Value>>>) {
        let Some(sel) = selector.as_object() else { return };
        let match_labels = sel.get("matchLabels").and_then(Value::as_object);
        let expressions = sel.get("matchExpressions").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        if let Some(m) = match_labels {
            self.labels(m, "/spec/selector/matchLabels");
        }
        if match_labels.is_none_or(Map::is_empty) && expressions.is_empty() {
            let message = format!("the selector is empty: a {kind} must select the Pods it creates by their labels");
            self.other("/spec/selector", message);
            return;
        }
        let mut valid = true;
        for (i, e) in expressions.iter().enumerate() {
            let at = format!("/spec/selector/matchExpressions/{i}");
            let values = items(e, "values");
            match str_at(e, "operator") {
                Some("In" | "NotIn") if values.is_empty() => {
                    valid = false;
                    self.other(&child(&at, "values"), "the operators In and NotIn need at least one value".into());
                }
                Some("Exists" | "DoesNotExist") if !values.is_empty() => {
                    valid = false;
                    self.other(&child(&at, "values"), "the operators Exists and DoesNotExist take no values".into());
                }
                Some("In" | "NotIn" | "Exists" | "DoesNotExist") => {}
                Some(op) => {
                    valid = false;
                    self.not_supported(
                        &child(&at, "operator"),
                        "operator",
                        op,
                        &["In", "NotIn", "Exists", "DoesNotExist"],
                    );
                }
                None => valid = false,
            }
            if let Some(key) = str_at(e, "key") {
                self.format(&child(&at, "key"), "label key", key, qualified_name(key));
            }
        }
        let Some(labels) = labels.filter(|_| valid) else { return };
        let empty = Map::new();
        let labels = labels.unwrap_or(&empty);
        let has = |k: &str| labels.get(k).and_then(Value::as_str);
        let matches_labels = match_labels.into_iter().flatten().all(|(k, v)| has(k).is_some() && has(k) == v.as_str());
        let matches_expressions = expressions.iter().all(|e| {
            let key = str_at(e, "key").unwrap_or_default();
            let values: Vec<&str> = items(e, "values").iter().filter_map(Value::as_str).collect();
            match str_at(e, "operator") {
                Some("In") => has(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => has(key).is_none_or(|v| !values.contains(&v)),
                Some("Exists") => has(key).is_some(),
                _ => has(key).is_none(),
            }
        });
        if !(matches_labels && matches_expressions) {
            let message = format!(
                "the selector does not match the template's labels: the {kind} would not own the Pods it creates"
            );
            self.other("/spec/template/metadata/labels", message);
        }
    }

    /// `ValidateDeploymentStrategy` and `ValidateRollingUpdateDeployment`, after the defaults
    /// (RollingUpdate, 25% unavailable and 25% surge; `progressDeadlineSeconds` 600).
    fn deployment(&mut self, spec: &Map<String, Value>) {
        let strategy = spec.get("strategy");
        let kind = strategy.and_then(|s| str_at(s, "type")).unwrap_or("RollingUpdate");
        let rolling = strategy.and_then(|s| s.get("rollingUpdate"));
        match kind {
            "Recreate" if rolling.is_some() => self.forbidden(
                "/spec/strategy/rollingUpdate",
                &["rollingUpdate", "type"],
                "`rollingUpdate` may not be given when the strategy's `type` is Recreate".into(),
            ),
            "Recreate" => {}
            "RollingUpdate" => {
                let at = "/spec/strategy/rollingUpdate";
                let unavailable = self.int_or_percent(rolling, at, "maxUnavailable").unwrap_or(25);
                let surge = self.int_or_percent(rolling, at, "maxSurge").unwrap_or(25);
                if unavailable == 0 && surge == 0 {
                    let message =
                        "`maxUnavailable` and `maxSurge` may not both be 0: the rollout could never progress".into();
                    self.other(&format!("{at}/maxUnavailable"), message);
                }
            }
            other => self.not_supported("/spec/strategy/type", "strategy type", other, &["Recreate", "RollingUpdate"]),
        }
        let min_ready = spec.get("minReadySeconds").and_then(Value::as_i64).unwrap_or(0);
        if let Some(deadline) = spec.get("progressDeadlineSeconds").and_then(Value::as_i64)
            && deadline <= min_ready
        {
            let message =
                format!("progressDeadlineSeconds ({deadline}) must be greater than minReadySeconds ({min_ready})");
            self.range("/spec/progressDeadlineSeconds", message);
        }
    }

    /// `ValidateStatefulSetSpec`, after its defaults (OrderedReady, RollingUpdate).
    fn stateful_set(&mut self, spec: &Map<String, Value>) {
        if let Some(policy) = spec.get("podManagementPolicy").and_then(Value::as_str) {
            self.one_of("/spec/podManagementPolicy", "podManagementPolicy", policy, &["OrderedReady", "Parallel"]);
        }
        let strategy = spec.get("updateStrategy");
        match strategy.and_then(|s| str_at(s, "type")).unwrap_or("RollingUpdate") {
            "OnDelete" if strategy.and_then(|s| s.get("rollingUpdate")).is_some() => self.forbidden(
                "/spec/updateStrategy/rollingUpdate",
                &["rollingUpdate", "type"],
                "`rollingUpdate` may be given only when the update strategy's `type` is RollingUpdate".into(),
            ),
            "OnDelete" => {}
            "RollingUpdate" => {
                let rolling = strategy.and_then(|s| s.get("rollingUpdate"));
                let at = "/spec/updateStrategy/rollingUpdate";
                if self.int_or_percent(rolling, at, "maxUnavailable") == Some(0) {
                    self.other(&format!("{at}/maxUnavailable"), "`maxUnavailable` may not be 0".into());
                }
                if let Some(n) = rolling.and_then(|r| r.get("partition")).and_then(Value::as_i64).filter(|n| *n < 0) {
                    self.range(&format!("{at}/partition"), format!("{n} is out of range: partition must be 0 or more"));
                }
            }
            other => self.not_supported(
                "/spec/updateStrategy/type",
                "update strategy type",
                other,
                &["RollingUpdate", "OnDelete"],
            ),
        }
        if let Some(name) = spec.get("serviceName").and_then(Value::as_str).filter(|n| !n.is_empty()) {
            self.format("/spec/serviceName", "serviceName", name, dns1123_label(name));
        }
    }

    /// `ValidateDaemonSetUpdateStrategy`, after its defaults (RollingUpdate, 1 unavailable, 0 surge).
    fn daemon_set(&mut self, spec: &Map<String, Value>) {
        let strategy = spec.get("updateStrategy");
        match strategy.and_then(|s| str_at(s, "type")).unwrap_or("RollingUpdate") {
            "OnDelete" => {}
            "RollingUpdate" => {
                let rolling = strategy.and_then(|s| s.get("rollingUpdate"));
                let at = "/spec/updateStrategy/rollingUpdate";
                let unavailable = self.int_or_percent(rolling, at, "maxUnavailable").unwrap_or(1);
                let surge = self.int_or_percent(rolling, at, "maxSurge").unwrap_or(0);
                if unavailable != 0 && surge != 0 {
                    let message = "`maxSurge` may not be set when `maxUnavailable` is not 0".into();
                    self.forbidden(&format!("{at}/maxSurge"), &["maxSurge", "maxUnavailable"], message);
                } else if unavailable == 0 && surge == 0 {
                    let message =
                        "`maxUnavailable` and `maxSurge` may not both be 0: the rollout could never progress".into();
                    self.other(&format!("{at}/maxUnavailable"), message);
                }
            }
            other => self.not_supported(
                "/spec/updateStrategy/type",
                "update strategy type",
                other,
                &["RollingUpdate", "OnDelete"],
            ),
        }
    }

    /// `ValidatePositiveIntOrPercent`, `IsNotMoreThan100Percent` and `getIntOrPercentValue`: the
    /// field's value (a percentage as its number), or `None` when it is absent or malformed.
    fn int_or_percent(&mut self, object: Option<&Value>, at: &str, field: &str) -> Option<i64> {
        let pointer = format!("{at}/{field}");
        match object?.get(field)? {
            Value::Number(n) => {
                let n = n.as_i64()?;
                if n < 0 {
                    self.range(&pointer, format!("{n} is out of range: {field} must be 0 or more"));
                }
                Some(n)
            }
            Value::String(s) => {
                let problems = percent(s);
                if !problems.is_empty() {
                    self.format(&pointer, field, s, problems);
                    return None;
                }
                let n: i64 = s.trim_end_matches('%').parse().ok()?;
                if n > 100 {
                    self.range(&pointer, format!("{s} is out of range: {field} must not be greater than 100%"));
                }
                Some(n)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(group: &str, kind: &str, doc: Value) -> Vec<(String, String)> {
        validate(group, kind, &doc).into_iter().map(|e| (e.pointer, e.message)).collect()
    }

    fn pointers(group: &str, kind: &str, doc: Value) -> Vec<String> {
        errors(group, kind, doc).into_iter().map(|(p, _)| p).collect()
    }

    fn deployment(selector: Value, labels: Value) -> Value {
        json!({"metadata": {"name": "d"}, "spec": {"selector": selector, "template": {
            "metadata": {"labels": labels}, "spec": {"containers": [{"name": "a", "image": "x"}]}}}})
    }

    #[test]
    fn a_valid_deployment_passes() {
        let d = deployment(json!({"matchLabels": {"app": "a"}}), json!({"app": "a", "version": "v1"}));
        assert_eq!(errors("apps", "Deployment", d), vec![]);
    }

    #[test]
    fn the_selector_must_match_the_template() {
        let d = deployment(json!({"matchLabels": {"app": "a"}}), json!({"app": "b"}));
        assert_eq!(pointers("apps", "Deployment", d), vec!["/spec/template/metadata/labels"]);
        let expr = json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]});
        assert_eq!(pointers("apps", "Deployment", deployment(expr, json!({"tier": "web"}))), Vec::<String>::new());
        let expr = json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}]});
        assert_eq!(pointers("apps", "Deployment", deployment(expr, json!({"tier": "web"}))).len(), 1);
        let bad = json!({"matchExpressions": [{"key": "tier", "operator": "Equals", "values": ["db"]}]});
        assert_eq!(
            pointers("apps", "Deployment", deployment(bad, json!({}))),
            vec!["/spec/selector/matchExpressions/0/operator"]
        );
        assert_eq!(pointers("apps", "Deployment", deployment(json!({}), json!({"app": "a"}))), vec!["/spec/selector"]);
    }

    #[test]
    fn pod_specs() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "image": "x", "imagePullPolicy": "always", "ports": [{"containerPort": 80, "name": "8080"}]},
            {"name": "a", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}
        ], "restartPolicy": "Sometimes"}});
        assert_eq!(
            pointers("", "Pod", pod),
            vec![
                "/spec/containers/0/imagePullPolicy",
                "/spec/containers/0/ports/0/name",
                "/spec/containers/1/name",
                "/spec/containers/1",
                "/spec/containers/1/volumeMounts/0/name",
                "/spec/restartPolicy",
            ]
        );
        assert_eq!(pointers("", "Pod", json!({"spec": {"containers": []}})), vec!["/spec/containers"]);
        let init = json!({"spec": {"containers": [{"name": "a", "image": "x"}], "initContainers": [{"name": "a", "image": "y"}]}});
        assert_eq!(pointers("", "Pod", init), vec!["/spec/initContainers/0/name"]);
    }

    #[test]
    fn stateful_set_claims_are_volumes() {
        let mut sts = deployment(json!({"matchLabels": {"app": "a"}}), json!({"app": "a"}));
        sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = json!([{"name": "www", "mountPath": "/w"}]);
        sts["spec"]["volumeClaimTemplates"] = json!([{"metadata": {"name": "www"}}]);
        assert_eq!(pointers("apps", "StatefulSet", sts.clone()), Vec::<String>::new());
        assert_eq!(pointers("apps", "Deployment", sts), vec!["/spec/template/spec/containers/0/volumeMounts/0/name"]);
    }

    #[test]
    fn controllers_restart_always() {
        let mut d = deployment(json!({"matchLabels": {"app": "a"}}), json!({"app": "a"}));
        d["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
        assert_eq!(pointers("apps", "Deployment", d), vec!["/spec/template/spec/restartPolicy"]);
    }

    #[test]
    fn services() {
        let svc = json!({"spec": {"ports": [{"port": 80}, {"port": 80, "name": "http"}, {"port": 0, "name": "http"}]}});
        assert_eq!(
            pointers("", "Service", svc),
            vec!["/spec/ports/0", "/spec/ports/1", "/spec/ports/2/name", "/spec/ports/2/port",]
        );
        // UDP and TCP on one port number are two ports.
        let dns = json!({"spec": {"ports": [{"port": 53, "name": "dns"}, {"port": 53, "name": "dns-tcp", "protocol": "UDP"}]}});
        assert_eq!(pointers("", "Service", dns), Vec::<String>::new());
        assert_eq!(pointers("", "Service", json!({"spec": {"clusterIP": "None"}})), Vec::<String>::new());
        assert_eq!(pointers("", "Service", json!({"spec": {"selector": {"app": "a"}}})), vec!["/spec"]);
        let ext = json!({"spec": {"type": "ExternalName", "externalName": "db.example.com."}});
        assert_eq!(pointers("", "Service", ext), Vec::<String>::new());
        let named = json!({"spec": {"ports": [{"port": 80, "targetPort": "http_web", "nodePort": 30080}]}});
        assert_eq!(pointers("", "Service", named), vec!["/spec/ports/0/targetPort", "/spec/ports/0/nodePort"]);
    }

    #[test]
    fn secrets() {
        let tls = json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "eA==", "my key": "eA=="}});
        assert_eq!(pointers("", "Secret", tls), vec!["/data/my key", "/data"]);
        let tls = json!({"type": "kubernetes.io/tls", "stringData": {"tls.crt": "x", "tls.key": "y"}});
        assert_eq!(pointers("", "Secret", tls), Vec::<String>::new());
    }

    #[test]
    fn labels_and_annotations_of_any_kind() {
        let doc =
            json!({"metadata": {"labels": {"app": "a b", "example.com/ok": "yes"}, "annotations": {"a//b": "x"}}});
        assert_eq!(
            pointers("networking.istio.io", "VirtualService", doc),
            vec!["/metadata/labels/app", "/metadata/annotations/a~1~1b"]
        );
    }

    #[test]
    fn strategies() {
        let mut d = deployment(json!({"matchLabels": {"app": "a"}}), json!({"app": "a"}));
        d["spec"]["strategy"] = json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}});
        assert_eq!(pointers("apps", "Deployment", d.clone()), vec!["/spec/strategy/rollingUpdate"]);
        d["spec"]["strategy"] = json!({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}});
        assert_eq!(pointers("apps", "Deployment", d.clone()), vec!["/spec/strategy/rollingUpdate/maxUnavailable"]);
        let mut ds = deployment(json!({"matchLabels": {"app": "a"}}), json!({"app": "a"}));
        ds["spec"]["updateStrategy"] = json!({"type": "Recreate"});
        assert_eq!(pointers("apps", "DaemonSet", ds.clone()), vec!["/spec/updateStrategy/type"]);
        ds["spec"]["updateStrategy"] = json!({"rollingUpdate": {"maxSurge": "10%"}});
        assert_eq!(pointers("apps", "DaemonSet", ds), vec!["/spec/updateStrategy/rollingUpdate/maxSurge"]);
        let mut sts = deployment(json!({"matchLabels": {"app": "a"}}), json!({"app": "a"}));
        sts["spec"]["podManagementPolicy"] = json!("Serial");
        assert_eq!(pointers("apps", "StatefulSet", sts), vec!["/spec/podManagementPolicy"]);
    }
}
