//! The resolved world: services (Kubernetes Services and ServiceEntries) by host, workloads,
//! gateways, DestinationRules by host, and the lookups Istio makes between them.

pub mod config;
pub mod gateway_api;
pub mod graph;
pub mod hosts;

pub use config::MeshConfig;

use crate::model::core::ServiceType;
use crate::model::core::StringMap;
use crate::model::networking::{Destination, DestinationRule, Gateway, ServiceEntry, Sidecar, Subset, VirtualService};
use crate::model::{Object, Typed};
use crate::source::Document;
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;
use std::hash::BuildHasher;

/// A port of a service: a Service port or a ServiceEntry port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    pub number: u32,
    pub name: Option<String>,
    pub protocol: Option<String>,
    pub target_port: Option<String>,
    /// A Service port's `appProtocol`.
    pub app_protocol: Option<String>,
}

/// How istiod resolves a service's address (`model.Resolution`): what decides its listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A virtual IP that Envoy load-balances (`ClientSideLB`): a ClusterIP Service, a
    /// ServiceEntry with `STATIC` or `DNS` resolution.
    ClientSide,
    /// The original destination is kept (`Passthrough`): a headless Service, a ServiceEntry
    /// with `NONE`.
    Passthrough,
    /// A DNS round-robin ServiceEntry.
    DnsRoundRobin,
    /// An ExternalName Service: an alias of the named host (`Alias`), with no listener of its own.
    Alias(String),
}

/// Where a service came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceSource {
    Kubernetes,
    ServiceEntry,
    /// The default ingress gateway Istio assumes in offline analysis.
    Implicit,
    /// The Service Istio's deployment controller creates for a Gateway API Gateway.
    GatewayDeployment,
}

/// One service in the registry, under one host.
#[derive(Debug, Clone)]
pub struct ServiceRecord<'a> {
    /// Index of the object that defines it; `None` for implicit ones.
    pub obj: Option<usize>,
    pub source: ServiceSource,
    pub namespace: String,
    /// The FQDN (or wildcard) host.
    pub host: String,
    pub ports: Vec<ServicePort>,
    pub export_to: Vec<String>,
    /// The pods it selects (a Service's selector, a ServiceEntry's workloadSelector).
    pub selector: Option<&'a StringMap>,
    /// Its addresses as the input shows them: a Service's `clusterIP`, a ServiceEntry's
    /// `addresses` (IPs and CIDRs).
    pub addresses: Vec<String>,
    /// Whether the API server gives it a virtual IP that the input does not show (a ClusterIP
    /// Service without `clusterIP`): clients reach it by DNS, not by a known address.
    pub allocated_vip: bool,
    pub resolution: Resolution,
    /// `metadata.creationTimestamp` (RFC 3339, `""` when absent): istiod orders services by it.
    pub created: String,
    /// The IP addresses of its endpoints (for headless services: one listener each).
    pub endpoints: Vec<String>,
    /// The labels of its object.
    pub labels: Option<&'a StringMap>,
    /// The ExternalName Services that alias it (`model/push_context.go` resolveServiceAliases):
    /// their names are domains of its virtual hosts.
    pub aliases: Vec<String>,
}

impl ServiceRecord<'_> {
    /// istiod's order of services (`SortServicesByCreationTime`): creation time, then the
    /// service's name (the host for a ServiceEntry), then namespace.
    pub fn order_key(&self) -> (&str, &str, &str) {
        let name = match self.source {
            ServiceSource::Kubernetes => hosts::service_of(&self.host).map_or(self.host.as_str(), |(_, n)| n),
            _ => self.host.as_str(),
        };
        (self.created.as_str(), name, self.namespace.as_str())
    }
}

/// A workload: a Pod, the pod template of a Deployment, StatefulSet or DaemonSet, or a
/// WorkloadEntry.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub obj: Option<usize>,
    pub namespace: String,
    pub labels: &'a StringMap,
    /// A Pod's `status.podIP`, a WorkloadEntry's `address`.
    pub address: Option<String>,
}

/// A DestinationRule, with its host resolved.
#[derive(Debug, Clone)]
pub struct DestinationRuleRecord<'a> {
    pub obj: usize,
    pub namespace: String,
    pub host: String,
    pub rule: &'a DestinationRule,
    pub export_to: Vec<String>,
}

impl DestinationRuleRecord<'_> {
    pub fn subsets(&self) -> impl Iterator<Item = &Subset> {
        self.rule.spec.subsets.iter().flatten()
    }
}

/// A Sidecar resource, with its namespace resolved.
#[derive(Debug, Clone)]
pub struct SidecarRecord<'a> {
    pub obj: usize,
    pub namespace: String,
    pub sidecar: &'a Sidecar,
    /// The workload selector; `None` for the namespace's (or, in the root namespace, the mesh's)
    /// default Sidecar.
    pub selector: Option<&'a StringMap>,
}

/// Everything a cross-resource rule looks up.
pub struct Mesh<'a> {
    pub config: &'a MeshConfig,
    pub default_namespace: &'a str,
    pub services: Vec<ServiceRecord<'a>>,
    by_host: HashMap<String, Vec<usize>>,
    wildcard: Vec<usize>,
    pub workloads: Vec<Workload<'a>>,
    /// (namespace, name) → object index.
    pub gateways: HashMap<(String, String), usize>,
    /// Gateway API (`gateway.networking.k8s.io`) Gateways: (namespace, name) → object index.
    pub kubernetes_gateways: HashMap<(String, String), usize>,
    pub destination_rules: Vec<DestinationRuleRecord<'a>>,
    drs_by_host: HashMap<String, Vec<usize>>,
    /// DestinationRules whose host is a wildcard.
    wildcard_drs: Vec<usize>,
    pub virtual_services: Vec<(usize, &'a VirtualService)>,
    pub sidecars: Vec<SidecarRecord<'a>>,
    /// Indexes by namespace, so that lookups stay linear in the size of the mesh.
    workloads_by_ns: HashMap<String, Vec<usize>>,
    services_by_ns: HashMap<String, Vec<usize>>,
    /// Workloads by each of their labels ([`label_key`] of namespace, key and value), and by each
    /// label in any namespace: a selector's candidates are the workloads of its rarest label,
    /// not every workload.
    workloads_by_label: HashMap<u64, Vec<usize>>,
    workloads_by_label_any_ns: HashMap<u64, Vec<usize>>,
    /// Services that select pods (not ServiceEntries, a non-empty selector), by the first label
    /// of their selector and their namespace.
    services_by_selector: HashMap<u64, Vec<usize>>,
    /// Namespaces in which the input itself defines a service or a workload.
    known_namespaces: foldhash::HashSet<String>,
}

/// The API group of Kubernetes Gateway API resources.
pub const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io";

/// What a gateway reference of a VirtualService names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayTarget {
    /// An Istio `networking.istio.io` Gateway (object index).
    Istio(usize),
    /// A Gateway API Gateway (object index).
    Kubernetes(usize),
}

static INGRESS_LABELS: std::sync::LazyLock<StringMap> =
    std::sync::LazyLock::new(|| [("istio".to_string(), "ingressgateway".to_string())].into_iter().collect());

impl<'a> Mesh<'a> {
    pub fn build(
        docs: &'a [Document],
        objects: &'a [Object],
        typed: &'a [Option<Result<Typed, String>>],
        default_namespace: &'a str,
        config: &'a MeshConfig,
    ) -> Mesh<'a> {
        let mut m = Mesh {
            config,
            default_namespace,
            services: Vec::new(),
            by_host: HashMap::new(),
            wildcard: Vec::new(),
            workloads: Vec::new(),
            gateways: HashMap::new(),
            kubernetes_gateways: HashMap::new(),
            destination_rules: Vec::new(),
            drs_by_host: HashMap::new(),
            wildcard_drs: Vec::new(),
            virtual_services: Vec::new(),
            sidecars: Vec::new(),
            workloads_by_ns: HashMap::new(),
            services_by_ns: HashMap::new(),
            workloads_by_label: HashMap::new(),
            workloads_by_label_any_ns: HashMap::new(),
            services_by_selector: HashMap::new(),
            known_namespaces: Default::default(),
        };
        let mut deployed = Vec::new();
        for (i, (obj, t)) in objects.iter().zip(typed).enumerate() {
            let ns = obj.namespace_or(default_namespace).to_string();
            if obj.kind == "Gateway" && obj.group() == GATEWAY_API_GROUP {
                if let Some(name) = &obj.name {
                    m.kubernetes_gateways.insert((ns.clone(), name.clone()), i);
                    if let Some(Ok(Typed::KubernetesGateway(g))) = t {
                        deployed.push((i, ns, name.clone(), g.as_ref()));
                    }
                }
                continue;
            }
            let Some(Ok(t)) = t else { continue };
            match t {
                Typed::Service(s) => {
                    let Some(name) = &obj.name else { continue };
                    let spec = s.spec.as_ref();
                    let ports = spec
                        .and_then(|sp| sp.ports.as_ref())
                        .map(|ps| {
                            ps.iter()
                                .map(|p| ServicePort {
                                    number: p.port,
                                    name: p.name.clone(),
                                    protocol: p.protocol.as_ref().map(|x| format!("{x:?}").to_uppercase()),
                                    target_port: p.target_port.as_ref().map(|t| t.to_string()),
                                    app_protocol: p.app_protocol.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let export_to = s
                        .metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get("networking.istio.io/exportTo"))
                        .map(|v| v.split(',').map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect())
                        .unwrap_or_else(|| config.default_service_export_to.clone());
                    // `pilot/pkg/serviceregistry/kube/conversion.go` ConvertService: ExternalName
                    // is an alias, `clusterIP: None` is headless (Passthrough).
                    let cluster_ip = spec.and_then(|sp| sp.cluster_ip.as_deref()).filter(|ip| !ip.is_empty());
                    let external = spec.filter(|sp| sp.type_ == Some(ServiceType::ExternalName));
                    let resolution = match (external, cluster_ip) {
                        (Some(sp), _) => Resolution::Alias(
                            sp.external_name.as_deref().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase(),
                        ),
                        (None, Some("None")) => Resolution::Passthrough,
                        _ => Resolution::ClientSide,
                    };
                    let addresses: Vec<String> =
                        cluster_ip.filter(|ip| *ip != "None").map(str::to_string).into_iter().collect();
                    m.add_service(ServiceRecord {
                        obj: Some(i),
                        source: ServiceSource::Kubernetes,
                        host: hosts::fqdn(name, &ns),
                        namespace: ns,
                        ports,
                        export_to,
                        selector: spec.and_then(|sp| sp.selector.as_ref()),
                        allocated_vip: addresses.is_empty() && resolution == Resolution::ClientSide,
                        addresses,
                        resolution,
                        created: s.metadata.creation_timestamp.clone().unwrap_or_default(),
                        endpoints: Vec::new(),
                        aliases: Vec::new(),
                        labels: s.metadata.labels.as_ref(),
                    });
                }
                Typed::ServiceEntry(se) => m.add_service_entry(i, ns, se),
                Typed::Pod(_) | Typed::Deployment(_) | Typed::StatefulSet(_) | Typed::DaemonSet(_) => {
                    if let Some(labels) = t.pod_template_labels() {
                        let address = match t {
                            Typed::Pod(p) => {
                                p.status.as_ref().and_then(|st| st.get("podIP")?.as_str()).map(str::to_string)
                            }
                            _ => None,
                        };
                        m.workloads.push(Workload { obj: Some(i), namespace: ns, labels, address });
                    }
                }
                Typed::WorkloadEntry(we) => {
                    if let Some(labels) = we.spec.labels.as_ref() {
                        let address = we.spec.address.clone();
                        m.workloads.push(Workload { obj: Some(i), namespace: ns, labels, address });
                    }
                }
                Typed::Gateway(_) => {
                    if let Some(name) = &obj.name {
                        m.gateways.insert((ns, name.clone()), i);
                    }
                }
                Typed::DestinationRule(dr) => {
                    let host = hosts::fqdn(&dr.spec.host, &ns);
                    let export_to =
                        dr.spec.export_to.clone().unwrap_or_else(|| config.default_destination_rule_export_to.clone());
                    m.drs_by_host.entry(host.clone()).or_default().push(m.destination_rules.len());
                    m.destination_rules.push(DestinationRuleRecord {
                        obj: i,
                        namespace: ns,
                        host,
                        rule: dr,
                        export_to,
                    });
                }
                Typed::VirtualService(vs) => m.virtual_services.push((i, vs)),
                Typed::Sidecar(sc) => {
                    let selector =
                        sc.spec.workload_selector.as_ref().and_then(|w| w.labels.as_ref()).filter(|l| !l.is_empty());
                    m.sidecars.push(SidecarRecord { obj: i, namespace: ns, sidecar: sc, selector });
                }
                Typed::Namespace(_) | Typed::Secret(_) => {}
                // Gateway API objects reach the routing engine translated (`crate::gateway_api`).
                Typed::GatewayClass(_)
                | Typed::KubernetesGateway(_)
                | Typed::HTTPRoute(_)
                | Typed::GRPCRoute(_)
                | Typed::TLSRoute(_)
                | Typed::TCPRoute(_)
                | Typed::UDPRoute(_)
                | Typed::ReferenceGrant(_)
                | Typed::ListenerSet(_)
                | Typed::BackendTLSPolicy(_) => {}
                // Read by the authorization engine (`crate::authz`).
                Typed::AuthorizationPolicy(_) | Typed::PeerAuthentication(_) | Typed::RequestAuthentication(_) => {}
            }
        }
        m.add_gateway_deployments(objects, typed, deployed);
        m.add_implicit_ingress();
        m.index();
        m.add_endpoints(docs, objects);
        m.add_aliases();
        m
    }

    /// Each ExternalName Service's name on the services it aliases.
    fn add_aliases(&mut self) {
        let aliases: Vec<(String, String)> = self
            .services
            .iter()
            .filter_map(|s| match &s.resolution {
                Resolution::Alias(to) => Some((to.clone(), s.host.clone())),
                _ => None,
            })
            .collect();
        for (to, alias) in aliases {
            for &i in self.by_host.get(&to).into_iter().flatten() {
                self.services[i].aliases.push(alias.clone());
            }
        }
    }

    /// The endpoint addresses of headless Services, which istiod gives a listener each: their
    /// EndpointSlices (`kubernetes.io/service-name`), Endpoints, and the `status.podIP` of the
    /// pods they select.
    fn add_endpoints(&mut self, docs: &[Document], objects: &[Object]) {
        let wanted: HashMap<(String, String), usize> = self
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| s.source == ServiceSource::Kubernetes && s.resolution == Resolution::Passthrough)
            .filter_map(|(i, s)| Some(((s.namespace.clone(), hosts::service_of(&s.host)?.1.to_string()), i)))
            .collect();
        if wanted.is_empty() {
            return;
        }
        let mut found: Vec<(usize, String)> = Vec::new();
        for obj in objects {
            let ns = obj.namespace_or(self.default_namespace).to_string();
            let v = obj.value(docs);
            let strs = |v: Option<&serde_json::Value>| -> Vec<String> {
                v.and_then(|a| a.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            };
            let service = match (obj.group(), obj.kind.as_str()) {
                ("discovery.k8s.io", "EndpointSlice") => {
                    v.pointer("/metadata/labels/kubernetes.io~1service-name").and_then(|n| n.as_str())
                }
                ("", "Endpoints") => obj.name.as_deref(),
                _ => None,
            };
            let Some(&i) = service.and_then(|n| wanted.get(&(ns, n.to_string()))) else { continue };
            let addresses: Vec<String> = if obj.kind == "EndpointSlice" {
                v.get("endpoints")
                    .and_then(|e| e.as_array())
                    .into_iter()
                    .flatten()
                    .flat_map(|e| strs(e.get("addresses")))
                    .collect()
            } else {
                v.get("subsets")
                    .and_then(|e| e.as_array())
                    .into_iter()
                    .flatten()
                    .flat_map(|sub| sub.get("addresses").and_then(|a| a.as_array()).into_iter().flatten())
                    .filter_map(|a| a.get("ip")?.as_str().map(str::to_string))
                    .collect()
            };
            found.extend(addresses.into_iter().map(|a| (i, a)));
        }
        for &i in wanted.values() {
            let s = &self.services[i];
            if let Some(sel) = s.selector.filter(|sel| !sel.is_empty()) {
                let pods: Vec<String> =
                    self.workloads_in(&s.namespace, sel).iter().filter_map(|w| w.address.clone()).collect();
                found.extend(pods.into_iter().map(|a| (i, a)));
            }
        }
        for (i, a) in found {
            if !self.services[i].endpoints.contains(&a) {
                self.services[i].endpoints.push(a);
            }
        }
    }

    fn index(&mut self) {
        for (i, w) in self.workloads.iter().enumerate() {
            self.workloads_by_ns.entry(w.namespace.clone()).or_default().push(i);
            for (k, v) in w.labels {
                self.workloads_by_label.entry(label_key(Some(&w.namespace), k, v)).or_default().push(i);
                self.workloads_by_label_any_ns.entry(label_key(None, k, v)).or_default().push(i);
            }
            if w.obj.is_some() {
                self.known_namespaces.insert(w.namespace.clone());
            }
        }
        for (i, s) in self.services.iter().enumerate() {
            self.services_by_ns.entry(s.namespace.clone()).or_default().push(i);
            if s.source != ServiceSource::ServiceEntry
                && let Some((k, v)) = s.selector.and_then(|sel| sel.iter().next())
            {
                self.services_by_selector.entry(label_key(Some(&s.namespace), k, v)).or_default().push(i);
            }
            if s.obj.is_some() {
                self.known_namespaces.insert(s.namespace.clone());
            }
        }
        self.wildcard_drs = self
            .destination_rules
            .iter()
            .enumerate()
            .filter(|(_, d)| d.host.starts_with('*'))
            .map(|(i, _)| i)
            .collect();
    }

    fn workloads_of_ns(&self, ns: &str) -> impl Iterator<Item = &Workload<'a>> {
        self.workloads_by_ns.get(ns).into_iter().flatten().map(|i| &self.workloads[*i])
    }

    /// The workloads `sel` (not empty) selects in `ns`, or in any namespace, in input order.
    fn selected_workloads(&self, ns: Option<&str>, sel: &StringMap) -> Vec<&Workload<'a>> {
        let index = if ns.is_some() { &self.workloads_by_label } else { &self.workloads_by_label_any_ns };
        // Every selected workload carries each label of the selector: the rarest one's list holds them all.
        let rarest = sel
            .iter()
            .map(|(k, v)| index.get(&label_key(ns, k, v)).map_or(&[][..], Vec::as_slice))
            .min_by_key(|c| c.len())
            .unwrap_or_default();
        rarest
            .iter()
            .map(|i| &self.workloads[*i])
            .filter(|w| ns.is_none_or(|ns| w.namespace == ns) && selects(sel, w.labels))
            .collect()
    }

    fn add_service(&mut self, s: ServiceRecord<'a>) {
        let idx = self.services.len();
        if s.host.starts_with('*') {
            self.wildcard.push(idx);
        }
        self.by_host.entry(s.host.clone()).or_default().push(idx);
        self.services.push(s);
    }

    fn add_service_entry(&mut self, i: usize, ns: String, se: &'a ServiceEntry) {
        let ports: Vec<ServicePort> = se
            .spec
            .ports
            .iter()
            .flatten()
            .map(|p| ServicePort {
                number: p.number,
                name: p.name.clone(),
                protocol: p.protocol.as_ref().map(|x| x.0.to_uppercase()),
                target_port: p.target_port.map(|t| t.to_string()),
                app_protocol: None,
            })
            .collect();
        let export_to = se.spec.export_to.clone().unwrap_or_else(|| self.config.default_service_export_to.clone());
        // `pilot/pkg/serviceregistry/serviceentry/conversion.go` convertResolution.
        let resolution = match se.spec.resolution {
            Some(crate::model::networking::Resolution::None) => Resolution::Passthrough,
            Some(crate::model::networking::Resolution::DnsRoundRobin) => Resolution::DnsRoundRobin,
            _ => Resolution::ClientSide,
        };
        let endpoints: Vec<String> = se.spec.endpoints.iter().flatten().filter_map(|e| e.address.clone()).collect();
        for h in &se.spec.hosts {
            self.add_service(ServiceRecord {
                obj: Some(i),
                source: ServiceSource::ServiceEntry,
                namespace: ns.clone(),
                host: hosts::fqdn(h, &ns),
                ports: ports.clone(),
                export_to: export_to.clone(),
                selector: se.spec.workload_selector.as_ref().and_then(|w| w.labels.as_ref()),
                addresses: se.spec.addresses.clone().unwrap_or_default(),
                allocated_vip: false,
                resolution: resolution.clone(),
                created: se.metadata.creation_timestamp.clone().unwrap_or_default(),
                endpoints: endpoints.clone(),
                aliases: Vec::new(),
                labels: se.metadata.labels.as_ref(),
            });
        }
    }

    /// What Istio's deployment controller creates for each Gateway API Gateway of its class with
    /// no manual addresses: pods with the gateway-name label and a Service `<name>-<class>`
    /// selecting them, one port per listener port (`gatewaycommon/deploymentcontroller.go`).
    /// A Service of that name in the input is taken as written instead.
    fn add_gateway_deployments(
        &mut self,
        objects: &'a [Object],
        typed: &'a [Option<Result<Typed, String>>],
        deployed: Vec<(usize, String, String, &'a crate::model::gateway_api::Gateway)>,
    ) {
        let sets: Vec<(&str, &crate::model::gateway_api::ListenerSet)> = if deployed.is_empty() {
            Vec::new()
        } else {
            objects
                .iter()
                .zip(typed)
                .filter_map(|(o, t)| match t {
                    Some(Ok(Typed::ListenerSet(ls))) => Some((o.namespace_or(self.default_namespace), ls.as_ref())),
                    _ => None,
                })
                .collect()
        };
        for (i, ns, name, g) in deployed {
            let class = g.spec.gateway_class_name.clone().unwrap_or_default();
            if gateway_api::class_of(objects, typed, &class) != gateway_api::Class::Istio {
                continue;
            }
            let Some(service) = gateway_api::managed_service_name(g, &name, &class) else { continue };
            self.workloads.push(Workload { obj: Some(i), namespace: ns.clone(), labels: &g.pod_labels, address: None });
            let host = hosts::fqdn(&service, &ns);
            if self.services.iter().any(|s| s.host == host) {
                continue;
            }
            // The listeners of the ListenerSets the Gateway admits are the deployment's too
            // (`deploymentcontroller.go:402-416`).
            let namespace_labels = |n: &str| {
                objects.iter().zip(typed).find_map(|(o, t)| match t {
                    Some(Ok(Typed::Namespace(x))) if o.name.as_deref() == Some(n) => Some(x.metadata.labels.as_ref()),
                    _ => None,
                })
            };
            let from_sets = sets.iter().filter_map(|&(ls_ns, ls)| {
                let pr = ls.spec.parent_ref.as_ref()?;
                let pns = pr.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(ls_ns);
                let names_this = pr.kind.as_deref().unwrap_or("Gateway") == "Gateway"
                    && pr.group.as_deref().unwrap_or(gateway_api::GROUP) == gateway_api::GROUP
                    && pns == ns
                    && pr.name.as_deref() == Some(name.as_str());
                let admitted = names_this
                    && gateway_api::listener_set_allowed(g, &ns, ls_ns, namespace_labels(ls_ns)) == Some(true);
                admitted.then(|| ls.spec.listeners.iter().flatten())
            });
            let mut ports: Vec<ServicePort> = Vec::new();
            for l in g.spec.listeners.iter().flatten().chain(from_sets.flatten()) {
                let port = match (l.port.filter(|p| *p != 0), l.protocol.as_deref()) {
                    (Some(p), _) => p,
                    (None, Some("HTTP")) => 80,
                    (None, Some("HTTPS")) => 443,
                    _ => continue,
                };
                if ports.iter().any(|p| p.number == port) {
                    continue;
                }
                let name: String = l.name.clone().unwrap_or_default().replace('.', "-").chars().take(63).collect();
                ports.push(ServicePort {
                    number: port,
                    name: Some(name),
                    protocol: Some("TCP".into()),
                    target_port: Some(port.to_string()),
                    app_protocol: l.protocol.as_ref().map(|p| p.to_ascii_lowercase()),
                });
            }
            self.add_service(ServiceRecord {
                obj: None,
                source: ServiceSource::GatewayDeployment,
                namespace: ns,
                host,
                ports,
                export_to: Vec::new(),
                selector: Some(&g.service_selector),
                addresses: Vec::new(),
                allocated_vip: true,
                resolution: Resolution::ClientSide,
                created: g.metadata.creation_timestamp.clone().unwrap_or_default(),
                endpoints: Vec::new(),
                aliases: Vec::new(),
                labels: None,
            });
        }
    }

    /// Istio's offline analysis assumes the default ingress gateway (`istio-system`,
    /// `istio: ingressgateway`, ports 80/443/31400/15443) unless the mesh turns ingress off or
    /// the input defines that workload itself.
    fn add_implicit_ingress(&mut self) {
        if self.config.ingress_controller_mode.eq_ignore_ascii_case("OFF") {
            return;
        }
        let root = self.config.root_namespace.clone();
        let defined = self.workloads.iter().any(|w| w.namespace == root && selects(&INGRESS_LABELS, w.labels));
        if defined {
            return;
        }
        self.workloads.push(Workload { obj: None, namespace: root.clone(), labels: &INGRESS_LABELS, address: None });
        let host = hosts::fqdn("istio-ingressgateway", &root);
        if !self.by_host.contains_key(&host) {
            let ports = [(80, "http2"), (443, "https"), (31400, "tcp"), (15443, "tls")]
                .into_iter()
                .map(|(n, name)| ServicePort {
                    number: n,
                    name: Some(name.into()),
                    protocol: Some("TCP".into()),
                    target_port: Some(n.to_string()),
                    app_protocol: None,
                })
                .collect();
            self.add_service(ServiceRecord {
                obj: None,
                source: ServiceSource::Implicit,
                namespace: root,
                host,
                ports,
                export_to: Vec::new(),
                selector: Some(&INGRESS_LABELS),
                addresses: Vec::new(),
                allocated_vip: true,
                resolution: Resolution::ClientSide,
                created: String::new(),
                endpoints: Vec::new(),
                aliases: Vec::new(),
                labels: None,
            });
        }
    }

    /// The services a client in `from_ns` reaches under `host` (short names resolve in
    /// `from_ns`): exact hosts first, else the wildcard ServiceEntries that cover it.
    pub fn services_for(&self, host: &str, from_ns: &str) -> Vec<&ServiceRecord<'a>> {
        let fqdn = hosts::fqdn(host, from_ns);
        let visible = |s: &&ServiceRecord| hosts::visible(&s.export_to, &s.namespace, from_ns);
        let exact: Vec<_> =
            self.by_host.get(&fqdn).into_iter().flatten().map(|i| &self.services[*i]).filter(visible).collect();
        if !exact.is_empty() {
            return exact;
        }
        self.wildcard
            .iter()
            .map(|i| &self.services[*i])
            .filter(|s| s.host != fqdn && hosts::covers(&s.host, &fqdn))
            .filter(visible)
            .collect()
    }

    /// Does the input define anything (a Service, ServiceEntry or workload) in `ns`? Where it
    /// does not, a lookup that finds nothing says nothing.
    pub fn namespace_known(&self, ns: &str) -> bool {
        self.known_namespaces.contains(ns)
    }

    /// Every service host (for did-you-mean).
    pub fn service_hosts(&self) -> impl Iterator<Item = &str> {
        self.by_host.keys().map(String::as_str)
    }

    /// Services with `host` that exist but are not exported to `from_ns`.
    /// Every service record of exactly this FQDN, in any namespace.
    pub fn services_by_host(&self, fqdn: &str) -> impl Iterator<Item = &ServiceRecord<'a>> {
        self.by_host.get(fqdn).into_iter().flatten().map(|i| &self.services[*i])
    }

    pub fn hidden_services_for(&self, host: &str, from_ns: &str) -> Vec<&ServiceRecord<'a>> {
        let fqdn = hosts::fqdn(host, from_ns);
        self.by_host
            .get(&fqdn)
            .into_iter()
            .flatten()
            .map(|i| &self.services[*i])
            .filter(|s| !hosts::visible(&s.export_to, &s.namespace, from_ns))
            .collect()
    }

    /// The DestinationRules that apply to `host` for a client in `client_ns`, on Istio's lookup
    /// path: the client's namespace, then the service's namespace, then the root namespace. The
    /// first namespace on the path with a rule for the host wins (its rules merged).
    pub fn destination_rules_for(&self, host_fqdn: &str, client_ns: &str) -> Vec<&DestinationRuleRecord<'a>> {
        let exact = self.drs_by_host.get(host_fqdn).into_iter().flatten();
        let wild = self.wildcard_drs.iter().filter(|i| {
            let h = &self.destination_rules[**i].host;
            h != host_fqdn && hosts::covers(h, host_fqdn)
        });
        let mut idx: Vec<usize> = exact.chain(wild).copied().collect();
        idx.sort_unstable();
        let candidates: Vec<&DestinationRuleRecord> = idx
            .into_iter()
            .map(|i| &self.destination_rules[i])
            .filter(|d| hosts::visible(&d.export_to, &d.namespace, client_ns))
            .collect();
        let service_ns = hosts::service_of(host_fqdn).map(|(ns, _)| ns);
        let path = [Some(client_ns), service_ns, Some(self.config.root_namespace.as_str())];
        for ns in path.into_iter().flatten() {
            let here: Vec<_> = candidates.iter().copied().filter(|d| d.namespace == ns).collect();
            if !here.is_empty() {
                // The most specific host wins: exact before wildcards.
                let exact: Vec<_> = here.iter().copied().filter(|d| d.host == host_fqdn).collect();
                return if exact.is_empty() { here } else { exact };
            }
        }
        candidates
    }

    /// All DestinationRules for exactly this host, wherever they are.
    pub fn destination_rules_by_host(&self, host_fqdn: &str) -> impl Iterator<Item = &DestinationRuleRecord<'a>> {
        self.drs_by_host.get(host_fqdn).into_iter().flatten().map(|i| &self.destination_rules[*i])
    }

    /// The Gateway a VirtualService in `vs_ns` names with `reference`.
    pub fn gateway(&self, reference: &str, vs_ns: &str) -> Option<(usize, (String, String))> {
        let key = hosts::gateway_ref(reference, vs_ns)?;
        self.gateways.get(&key).map(|i| (*i, key))
    }

    /// The Istio Gateway, else the Gateway API Gateway, a VirtualService in `vs_ns` names with
    /// `reference` (Istio prefers its own kind when both exist).
    pub fn gateway_target(&self, reference: &str, vs_ns: &str) -> Option<GatewayTarget> {
        if let Some((i, _)) = self.gateway(reference, vs_ns) {
            return Some(GatewayTarget::Istio(i));
        }
        let key = hosts::gateway_ref(reference, vs_ns)?;
        self.kubernetes_gateways.get(&key).map(|i| GatewayTarget::Kubernetes(*i))
    }

    /// Every gateway as `namespace/name` (for did-you-mean).
    pub fn gateway_names(&self) -> Vec<String> {
        let mut v: Vec<String> =
            self.gateways.keys().chain(self.kubernetes_gateways.keys()).map(|(ns, n)| format!("{ns}/{n}")).collect();
        v.sort();
        v.dedup();
        v
    }

    /// The workloads a Gateway's selector picks (any namespace, as Istio's default). A Gateway
    /// without a selector applies to every gateway workload.
    pub fn gateway_workloads(&self, gw: &Gateway) -> Vec<&Workload<'a>> {
        match gw.spec.selector.as_ref() {
            Some(sel) => self.workloads_anywhere(sel),
            None => self.workloads.iter().collect(),
        }
    }

    /// The workloads `sel` selects in every namespace (all of them for an empty selector), in
    /// input order.
    pub fn workloads_anywhere(&self, sel: &StringMap) -> Vec<&Workload<'a>> {
        if sel.is_empty() {
            return self.workloads.iter().collect();
        }
        self.selected_workloads(None, sel)
    }

    /// The Kubernetes Services (and the implicit ingress Service) whose endpoints include
    /// `workload`: same namespace, and a non-empty selector that selects its labels. A Service
    /// without a selector gets no endpoints from Kubernetes, so it selects nothing.
    pub fn services_selecting(&self, workload: &Workload) -> Vec<&ServiceRecord<'a>> {
        let mut candidates: Vec<usize> = workload
            .labels
            .iter()
            .filter_map(|(k, v)| self.services_by_selector.get(&label_key(Some(&workload.namespace), k, v)))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| &self.services[i])
            .filter(|s| s.namespace == workload.namespace && s.source != ServiceSource::ServiceEntry)
            .filter(|s| s.selector.is_some_and(|sel| !sel.is_empty() && selects(sel, workload.labels)))
            .collect()
    }

    /// The workloads behind a service, as far as the input tells: a Kubernetes Service's endpoints
    /// (same namespace, selected by its non-empty selector), a ServiceEntry's `workloadSelector`
    /// picks (same namespace). `None` when the endpoints do not come from workloads: a Service
    /// without a selector, a ServiceEntry with static `endpoints` or none.
    pub fn service_workloads(&self, s: &ServiceRecord) -> Option<Vec<&Workload<'a>>> {
        let sel = s.selector.filter(|sel| !sel.is_empty())?;
        Some(self.selected_workloads(Some(&s.namespace), sel))
    }

    /// Does the input define a workload of its own (not only the implicit ingress gateway)? Where it
    /// defines none, "selects no workload" says nothing: the workloads are simply out of sight.
    pub fn has_workloads(&self) -> bool {
        self.workloads.iter().any(|w| w.obj.is_some())
    }

    /// The Sidecar that configures a workload in `ns` with `labels`, as Istio picks it: one in the
    /// namespace whose selector matches (the first in input order), else the namespace's Sidecar
    /// without a selector, else the root namespace's (mesh-wide) one.
    pub fn sidecar_for(&self, ns: &str, labels: &StringMap) -> Option<&SidecarRecord<'a>> {
        let root = self.config.root_namespace.as_str();
        self.sidecars
            .iter()
            .find(|s| s.namespace == ns && s.selector.is_some_and(|sel| selects(sel, labels)))
            .or_else(|| self.sidecars.iter().find(|s| s.namespace == ns && s.selector.is_none()))
            .or_else(|| self.sidecars.iter().find(|s| s.namespace == root && s.selector.is_none()))
    }

    /// Does the Sidecar's egress let its workloads reach `host`, configured in namespace
    /// `config_ns` (a service's or a VirtualService's)? Egress hosts are `ns/dnsName`: `*` any
    /// namespace, `.` the Sidecar's own, `~` none; the name may be a wildcard. A Sidecar without
    /// egress listeners limits nothing.
    pub fn egress_allows(&self, sc: &SidecarRecord, config_ns: &str, host: &str) -> bool {
        let listeners = sc.sidecar.spec.egress.as_deref().unwrap_or_default();
        listeners.is_empty() || listeners.iter().any(|l| egress_imports(&l.hosts, &sc.namespace, config_ns, host))
    }

    /// The workloads in `ns` whose labels `sel` selects.
    pub fn workloads_in(&self, ns: &str, sel: &StringMap) -> Vec<&Workload<'a>> {
        if sel.is_empty() {
            return self.workloads_of_ns(ns).collect();
        }
        self.selected_workloads(Some(ns), sel)
    }
}

impl Mesh<'_> {
    /// The hosts that several VirtualServices bound to the mesh gateway claim (Istio's IST0109):
    /// (host, the VirtualServices' object indices, sorted). Hosts key by their `exportTo` scope; a
    /// namespace-scoped claim also meets the exported-to-all claims whose host matches it. A
    /// VirtualService that lists a host twice does not conflict with itself.
    pub fn mesh_host_conflicts(&self, objects: &[Object]) -> Vec<(String, Vec<usize>)> {
        let mut claims: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for &(i, vs) in &self.virtual_services {
            if !vs_mesh_bound(vs) {
                continue;
            }
            let ns = objects[i].namespace_or(self.default_namespace);
            let export = vs.spec.export_to.as_deref().unwrap_or_default();
            let mut scopes: Vec<&str> = if export.is_empty() || export.iter().any(|e| e == "*") {
                vec!["*"]
            } else {
                export.iter().map(|e| if e == "." { ns } else { e.as_str() }).collect()
            };
            scopes.sort_unstable();
            scopes.dedup();
            for scope in scopes {
                for h in vs.spec.hosts.iter().flatten() {
                    claims.entry((scope.to_string(), hosts::fqdn(h, ns))).or_default().push(i);
                }
            }
        }
        // The exported-to-all claims a namespace-scoped one meets: its own host, the wildcards that
        // match it, and (for a wildcard) every host it matches.
        let global = |host: &String| -> Vec<&Vec<usize>> {
            let everywhere = claims.range(("*".to_string(), String::new())..).take_while(|((s, _), _)| s == "*");
            if host.starts_with('*') {
                everywhere.filter(|((_, h2), _)| hosts::matches(host, h2)).map(|(_, l)| l).collect()
            } else {
                // Wildcard hosts sort first (`*` is below every host character).
                let wildcards = everywhere
                    .take_while(|((_, h2), _)| h2.starts_with('*'))
                    .filter(|((_, h2), _)| hosts::matches(host, h2));
                claims.get(&("*".to_string(), host.clone())).into_iter().chain(wildcards.map(|(_, l)| l)).collect()
            }
        };
        let mut out = Vec::new();
        for ((scope, host), list) in &claims {
            let mut all = list.clone();
            if scope != "*" {
                all.extend(global(host).into_iter().flatten());
            }
            all.sort_unstable();
            all.dedup();
            // Two copies of one resource (same namespace and name) replace each other on apply:
            // that is a duplicate, not a conflict.
            let identity = |i: &usize| (objects[*i].namespace_or(self.default_namespace), objects[*i].name.as_deref());
            let mut seen = std::collections::HashSet::new();
            all.retain(|i| seen.insert(identity(i)));
            if all.len() > 1 {
                out.push((host.clone(), all));
            }
        }
        out
    }
}

/// Namespaces whose pods Istio never injects (`inject.IgnoredNamespaces`); `istioctl analyze`
/// drops everything in them when it loads its input. Rules about workloads and Services in the
/// mesh skip them too: what lives there is never part of the mesh.
pub const IGNORED_NAMESPACES: [&str; 4] = ["kube-system", "kube-public", "kube-node-lease", "local-path-storage"];

pub fn ignored_namespace(ns: &str) -> bool {
    IGNORED_NAMESPACES.contains(&ns)
}

/// The protocol Istio gives a Kubernetes Service port (`ConvertProtocol`): UDP for `protocol: UDP`,
/// else from `appProtocol` or, without it, the port name's prefix before `-` (`http-web` is HTTP,
/// `grpc-web…` is gRPC-Web), case-insensitively. `None` when Istio cannot tell and falls back to
/// protocol sniffing; the well-known ports 25, 53, 3306 and 27017 are TCP then.
pub fn service_port_protocol(port: u32, name: &str, udp: bool, app_protocol: Option<&str>) -> Option<&'static str> {
    if udp {
        return Some("UDP");
    }
    match app_protocol {
        Some("kubernetes.io/h2c") => return Some("HTTP2"),
        Some("kubernetes.io/ws") => return Some("HTTP"),
        Some("kubernetes.io/wss") => return Some("HTTPS"),
        _ => {}
    }
    // Case-insensitive without lower-casing a copy: this runs for every port of every service
    // each time a route table or listener is built.
    let n = app_protocol.unwrap_or(name);
    if n.len() >= 8 && n.as_bytes()[..8].eq_ignore_ascii_case(b"grpc-web") {
        return Some("GRPC-Web");
    }
    let prefix = n.split('-').next().unwrap_or("");
    let known = [
        ("tcp", "TCP"),
        ("udp", "UDP"),
        ("grpc", "GRPC"),
        ("http", "HTTP"),
        ("http_proxy", "HTTP_PROXY"),
        ("http2", "HTTP2"),
        ("https", "HTTPS"),
        ("tls", "TLS"),
        ("mongo", "Mongo"),
        ("redis", "Redis"),
        ("mysql", "MySQL"),
    ];
    known
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(prefix))
        .map(|(_, p)| *p)
        .or_else(|| [25, 53, 3306, 27017].contains(&port).then_some("TCP"))
}

/// The port name prefixes Istio reads a protocol from (for did-you-mean).
pub const PORT_NAME_PROTOCOLS: [&str; 12] =
    ["tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2", "https", "tls", "mongo", "redis", "mysql"];

/// Whether an egress listener's `hosts` (`ns/host`, `*/host`, `./host`, `~/host`) of a Sidecar in
/// `sidecar_ns` import `host` of a service in `config_ns`.
pub fn egress_imports(listener_hosts: &[String], sidecar_ns: &str, config_ns: &str, host: &str) -> bool {
    listener_hosts.iter().any(|h| {
        let (ns, name) = h.split_once('/').unwrap_or(("*", h.as_str()));
        let ns_ok = match ns {
            "*" => true,
            "." => config_ns == sidecar_ns,
            "~" => false,
            other => other == config_ns,
        };
        ns_ok && (name == "*" || hosts::matches(name, host))
    })
}

/// The index key of a label (`key=value`) in namespace `ns`, or in any namespace for `None`.
/// Distinct labels may share a key; lookups check the selector after.
fn label_key(ns: Option<&str>, key: &str, value: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0).hash_one((ns, key, value))
}

/// Kubernetes equality-based selection: every key of the selector with the same value. An empty
/// selector selects everything.
pub fn selects(selector: &StringMap, labels: &StringMap) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A label selector as Kubernetes writes it: `k1=v1,k2=v2`, keys sorted.
pub fn selector_string(selector: &StringMap) -> String {
    selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// Candidates as people read them in a did-you-mean: "`a` or `b`".
pub fn quoted_alternatives<S: AsRef<str>>(names: &[S]) -> String {
    names.iter().map(|n| format!("`{}`", n.as_ref())).collect::<Vec<_>>().join(" or ")
}

/// The names in `candidates` closest to `wanted`, best first (for did-you-mean).
pub fn nearest<'s>(wanted: &str, candidates: impl Iterator<Item = &'s str>) -> Vec<&'s str> {
    let mut scored: Vec<(f64, &str)> =
        candidates.map(|c| (strsim::jaro_winkler(wanted, c), c)).filter(|(s, c)| *s > 0.8 && *c != wanted).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// The reserved gateway name of the sidecars.
pub const MESH_GATEWAY: &str = "mesh";

/// Does the VirtualService apply to sidecars (no `gateways`, or `mesh` among them)?
pub fn vs_mesh_bound(vs: &VirtualService) -> bool {
    vs.spec.gateways.as_ref().is_none_or(|g| g.is_empty() || g.iter().any(|g| g == MESH_GATEWAY))
}

/// Every gateway reference of a VirtualService with its pointer (relative to the object): the
/// top-level `gateways` and those of HTTP, TCP and TLS `match` blocks.
pub fn vs_gateway_refs(vs: &VirtualService) -> Vec<(String, &str)> {
    fn add<'v>(out: &mut Vec<(String, &'v str)>, base: String, list: Option<&'v Vec<String>>) {
        for (k, g) in list.into_iter().flatten().enumerate() {
            out.push((format!("{base}/{k}"), g.as_str()));
        }
    }
    let mut out = Vec::new();
    add(&mut out, "/spec/gateways".into(), vs.spec.gateways.as_ref());
    for (i, h) in vs.spec.http.iter().flatten().enumerate() {
        for (j, m) in h.match_.iter().flatten().enumerate() {
            add(&mut out, format!("/spec/http/{i}/match/{j}/gateways"), m.gateways.as_ref());
        }
    }
    for (i, t) in vs.spec.tcp.iter().flatten().enumerate() {
        for (j, m) in t.match_.iter().flatten().enumerate() {
            add(&mut out, format!("/spec/tcp/{i}/match/{j}/gateways"), m.gateways.as_ref());
        }
    }
    for (i, t) in vs.spec.tls.iter().flatten().enumerate() {
        for (j, m) in t.match_.iter().enumerate() {
            add(&mut out, format!("/spec/tls/{i}/match/{j}/gateways"), m.gateways.as_ref());
        }
    }
    out
}

/// What role a destination plays in its VirtualService.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationRole {
    Route,
    Mirror,
}

/// Every destination of a VirtualService with its pointer (relative to the object): HTTP, TCP and
/// TLS routes, `mirror` and `mirrors`.
pub fn vs_destinations(vs: &VirtualService) -> Vec<(String, &Destination, DestinationRole)> {
    let mut out = Vec::new();
    for (i, h) in vs.spec.http.iter().flatten().enumerate() {
        for (j, r) in h.route.iter().flatten().enumerate() {
            out.push((format!("/spec/http/{i}/route/{j}/destination"), &r.destination, DestinationRole::Route));
        }
        if let Some(m) = &h.mirror {
            out.push((format!("/spec/http/{i}/mirror"), m, DestinationRole::Mirror));
        }
        for (j, m) in h.mirrors.iter().flatten().enumerate() {
            out.push((format!("/spec/http/{i}/mirrors/{j}/destination"), &m.destination, DestinationRole::Mirror));
        }
    }
    for (kind, routes) in [
        ("tcp", vs.spec.tcp.as_deref().map(|t| t.iter().map(|r| &r.route).collect::<Vec<_>>())),
        ("tls", vs.spec.tls.as_deref().map(|t| t.iter().map(|r| &r.route).collect::<Vec<_>>())),
    ] {
        for (i, route) in routes.into_iter().flatten().enumerate() {
            for (j, r) in route.iter().flatten().enumerate() {
                out.push((format!("/spec/{kind}/{i}/route/{j}/destination"), &r.destination, DestinationRole::Route));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "
apiVersion: v1
kind: Service
metadata: {name: web, namespace: a}
spec: {selector: {app: web, tier: front}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: all-front, namespace: a}
spec: {selector: {tier: front}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: a, labels: {app: web, tier: front, version: v1}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: b, labels: {app: web, tier: front}}
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: a, labels: {app: api, tier: front}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: a}
spec: {selector: {tier: front, app: web}}
";

    /// The label indexes find what a scan of every workload and service would, in input order.
    #[test]
    fn selector_lookups_through_the_label_indexes() {
        let mut s = crate::source::Sources::default();
        s.add("t.yaml".into(), YAML.into());
        let inputs = crate::lint::Inputs::parse(s);
        let config = MeshConfig::default();
        let mesh = Mesh::build(&inputs.docs, &inputs.objects, &inputs.typed, "default", &config);
        let name = |w: &Workload| inputs.objects[w.obj.unwrap()].name.clone().unwrap();
        let sel = |pairs: &[(&str, &str)]| -> StringMap {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };

        let front = sel(&[("tier", "front")]);
        assert_eq!(mesh.workloads_in("a", &front).into_iter().map(name).collect::<Vec<_>>(), ["web-1", "api-1"]);
        let web = sel(&[("app", "web"), ("tier", "front")]);
        assert_eq!(mesh.workloads_in("a", &web).into_iter().map(name).collect::<Vec<_>>(), ["web-1"]);
        assert!(mesh.workloads_in("a", &sel(&[("app", "web"), ("tier", "back")])).is_empty());
        assert_eq!(mesh.workloads_in("b", &StringMap::new()).len(), 1);

        let Some(Ok(Typed::Gateway(gw))) = &inputs.typed[5] else { panic!("a Gateway") };
        let gateway: Vec<String> = mesh.gateway_workloads(gw).into_iter().map(name).collect();
        assert_eq!(gateway, ["web-1", "web-2"]);

        let web_1 = mesh.workloads.iter().find(|w| name(w) == "web-1").unwrap();
        let services: Vec<&str> = mesh.services_selecting(web_1).iter().map(|s| s.host.as_str()).collect();
        assert_eq!(services, ["web.a.svc.cluster.local", "all-front.a.svc.cluster.local"]);
        let web_2 = mesh.workloads.iter().find(|w| name(w) == "web-2").unwrap();
        assert!(mesh.services_selecting(web_2).is_empty());
        let all_front = &mesh.services[1];
        let behind: Vec<String> = mesh.service_workloads(all_front).unwrap().into_iter().map(name).collect();
        assert_eq!(behind, ["web-1", "api-1"]);
    }
}
