
use builtin;
use str;

set edit:completion:arg-completer[meshctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'meshctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'meshctl'= {
            cand --color 'When to use colour in human output'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand lint 'Lint manifests: YAML, schema and structural checks, at file:line:col'
            cand graph 'Draw the mesh: gateway servers, VirtualService rules, services, subsets and workloads'
            cand rules 'List every rule: code, name, default severity, Istio equivalent'
            cand explain 'Print the documentation of one rule'
            cand schema 'Print the JSON Schema meshctl checks a kind against, or that of one of its own files (list them without KIND)'
            cand simulate 'Send one request through the compiled Istio routing and explain where it goes'
            cand test 'Run routing expectations (`tests: [{name, request, expect}]`) through the routing engine; exits 1 when one fails'
            cand render 'Print the objects `apply` would send, in apply order, namespaces filled in'
            cand diff 'Compare the live objects with what `apply` would make of them (unified diff, Secrets masked), and the lint findings the change introduces and fixes; exits 1 when they differ'
            cand apply 'Lint, check every object with a server-side dry run, then server-side apply them all, or write nothing when the server refuses one'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'meshctl;lint'= {
            cand -o 'Output format'
            cand -f 'Output format'
            cand --output 'Output format'
            cand --format 'Output format'
            cand --fail-on 'Exit 1 when a finding is at or above this severity'
            cand --select 'Run only these rules: codes (MESH0201), code prefixes (MESH02), names, Istio codes (IST0101: every rule with that code) or ALL, in any case; repeatable, comma-separated. Replaces the configuration''s `select`'
            cand --ignore 'Do not run these rules, named as for --select; repeatable, comma-separated. Adds to the configuration''s `ignore`'
            cand --config 'Configuration file (default: .meshctl.yaml found from the working directory upwards)'
            cand -n 'Namespace of objects that name none (default: `default`; with --kube, the context''s namespace), and the namespace --kube reads'
            cand --namespace 'Namespace of objects that name none (default: `default`; with --kube, the context''s namespace), and the namespace --kube reads'
            cand --context 'With --kube: the kubeconfig context (default: its current-context)'
            cand --timeout 'With --kube: bound on the whole cluster read (30, 30s, 2m)'
            cand --mesh-config 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, outbound policy, default exportTo, proxy metadata'
            cand --istiod-env 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes'
            cand --istio-version 'Validate Istio kinds with the CRDs of this Istio release (`1.31`; default: `istioVersion` in .meshctl.yaml, else the newest)'
            cand --color 'When to use colour in human output'
            cand --no-config 'Ignore any .meshctl.yaml'
            cand --kube 'Also read the live objects lint needs from the cluster (listed, never watched); a file overrides the live object of the same kind, namespace and name'
            cand -A 'With --kube: read every namespace'
            cand --all-namespaces 'With --kube: read every namespace'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;graph'= {
            cand -o 'Output format'
            cand -f 'Output format'
            cand --output 'Output format'
            cand --format 'Output format'
            cand --focus 'Keep only what leads to or from this host (short names resolve in -n) or Gateway (NS/NAME or NAME)'
            cand -n 'Namespace of objects that name none'
            cand --namespace 'Namespace of objects that name none'
            cand --mesh-config 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, default exportTo'
            cand --istiod-env 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes'
            cand --color 'When to use colour in human output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;rules'= {
            cand -o 'Output format'
            cand -f 'Output format'
            cand --output 'Output format'
            cand --format 'Output format'
            cand --color 'When to use colour in human output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;explain'= {
            cand --color 'When to use colour in human output'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;schema'= {
            cand --color 'When to use colour in human output'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;simulate'= {
            cand --request 'Request file (YAML or JSON): from, gateway_workload, source, protocol, host, port, method, path, headers, scheme, sni, destination_address, source_ip, jwt, jwt_from. The URL and the flags add to it; one that would change a field the file sets is refused'
            cand --gateway 'Enter through a gateway workload: `NS/label=value[,label=value…]` (e.g. `istio-system/istio=ingressgateway`), or `NS/NAME` of a Gateway API Gateway'
            cand --from 'Send from a sidecar workload: `NS/label=value[,label=value…]` (e.g. `default/app=productpage,version=v1`), or `NS` alone for a workload without labels in NS. Default: namespace `default`, no labels'
            cand -X 'HTTP method (default GET)'
            cand --request-method 'HTTP method (default GET)'
            cand -H 'Request header `Name: value`; repeatable'
            cand --header 'Request header `Name: value`; repeatable'
            cand --address 'The IP address the client connects to (default: the host''s service address, as the cluster''s DNS answers). It picks the listener'
            cand --sni 'The TLS server name of a `tls://` connection (default: the URL''s host)'
            cand --source-ip 'The client''s IP address as the first proxy sees it (the gateway''s peer, or the client pod''s IP), for `ipBlocks` and `remoteIpBlocks`'
            cand --jwt-claims 'The claims of the JWT the client presents, as a JSON object (`''{"iss":"…","sub":"…"}''`), or `malformed` for a token that does not verify. It goes in `Authorization: Bearer`'
            cand -o 'Output format'
            cand -f 'Output format'
            cand --output 'Output format'
            cand --format 'Output format'
            cand -n 'Namespace of objects that name none'
            cand --namespace 'Namespace of objects that name none'
            cand --mesh-config 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap)'
            cand --istiod-env 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes'
            cand --color 'When to use colour in human output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;test'= {
            cand --cases 'An expectation file (YAML or JSON): `tests: [{name, request, expect}]`, or istio-config-validator''s `testCases:`; repeatable (`--cases a.yaml --cases b.yaml`)'
            cand -o 'Output format'
            cand -f 'Output format'
            cand --output 'Output format'
            cand --format 'Output format'
            cand -n 'Namespace of objects that name none'
            cand --namespace 'Namespace of objects that name none'
            cand --mesh-config 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap)'
            cand --istiod-env 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes'
            cand --color 'When to use colour in human output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;render'= {
            cand -f 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments'
            cand --filename 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments'
            cand -n 'Namespace of objects that name none'
            cand --namespace 'Namespace of objects that name none'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to use colour in human output'
            cand --show-secrets 'Print Secret `data`/`stringData` values instead of `***`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;diff'= {
            cand -f 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments'
            cand --filename 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments'
            cand --context 'The kubeconfig context to use (default: its current-context). The kubeconfig is `KUBECONFIG` or ~/.kube/config, as for kubectl'
            cand -n 'Namespace of objects that name none (default: the context''s namespace, else `default`)'
            cand --namespace 'Namespace of objects that name none (default: the context''s namespace, else `default`)'
            cand --timeout 'Bound on each request to the API server (30, 30s, 2m, 500ms)'
            cand --field-manager 'The field manager meshctl applies as'
            cand --color 'When to use colour in human output'
            cand --force-conflicts 'Show the result of taking over fields another field manager owns (as `apply --force-conflicts`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;apply'= {
            cand -f 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments'
            cand --filename 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments'
            cand --context 'The kubeconfig context to use (default: its current-context). The kubeconfig is `KUBECONFIG` or ~/.kube/config, as for kubectl'
            cand -n 'Namespace of objects that name none (default: the context''s namespace, else `default`)'
            cand --namespace 'Namespace of objects that name none (default: the context''s namespace, else `default`)'
            cand --timeout 'Bound on each request to the API server (30, 30s, 2m, 500ms)'
            cand --dry-run '`server`: the server checks every object and nothing is written'
            cand --field-manager 'The field manager that owns what meshctl applies'
            cand --color 'When to use colour in human output'
            cand --force-conflicts 'Take over fields another field manager owns instead of refusing'
            cand --no-lint 'Apply without linting first (by default lint errors refuse the apply)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;completions'= {
            cand --color 'When to use colour in human output'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;help'= {
            cand lint 'Lint manifests: YAML, schema and structural checks, at file:line:col'
            cand graph 'Draw the mesh: gateway servers, VirtualService rules, services, subsets and workloads'
            cand rules 'List every rule: code, name, default severity, Istio equivalent'
            cand explain 'Print the documentation of one rule'
            cand schema 'Print the JSON Schema meshctl checks a kind against, or that of one of its own files (list them without KIND)'
            cand simulate 'Send one request through the compiled Istio routing and explain where it goes'
            cand test 'Run routing expectations (`tests: [{name, request, expect}]`) through the routing engine; exits 1 when one fails'
            cand render 'Print the objects `apply` would send, in apply order, namespaces filled in'
            cand diff 'Compare the live objects with what `apply` would make of them (unified diff, Secrets masked), and the lint findings the change introduces and fixes; exits 1 when they differ'
            cand apply 'Lint, check every object with a server-side dry run, then server-side apply them all, or write nothing when the server refuses one'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'meshctl;help;lint'= {
        }
        &'meshctl;help;graph'= {
        }
        &'meshctl;help;rules'= {
        }
        &'meshctl;help;explain'= {
        }
        &'meshctl;help;schema'= {
        }
        &'meshctl;help;simulate'= {
        }
        &'meshctl;help;test'= {
        }
        &'meshctl;help;render'= {
        }
        &'meshctl;help;diff'= {
        }
        &'meshctl;help;apply'= {
        }
        &'meshctl;help;completions'= {
        }
        &'meshctl;help;help'= {
        }
    ]
    $completions[$command]
}
