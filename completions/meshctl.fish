# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_meshctl_global_optspecs
    string join \n color= h/help V/version
end

function __fish_meshctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_meshctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_meshctl_using_subcommand
    set -l cmd (__fish_meshctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c meshctl -n "__fish_meshctl_needs_command" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_needs_command" -s h -l help -d 'Print help'
complete -c meshctl -n "__fish_meshctl_needs_command" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "lint" -d 'Lint manifests: YAML, schema and structural checks, at file:line:col'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "graph" -d 'Draw the mesh: gateway servers, VirtualService rules, services, subsets and workloads'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "rules" -d 'List every rule: code, name, default severity, Istio equivalent'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "explain" -d 'Print the documentation of one rule'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "schema" -d 'Print the JSON Schema meshctl checks a kind against, or that of one of its own files (list them without KIND)'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "simulate" -d 'Send one request through the compiled Istio routing and explain where it goes'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "test" -d 'Run routing expectations (`tests: [{name, request, expect}]`) through the routing engine; exits 1 when one fails'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "render" -d 'Print the objects `apply` would send, in apply order, namespaces filled in'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "diff" -d 'Compare the live objects with what `apply` would make of them (unified diff, Secrets masked), and the lint findings the change introduces and fixes; exits 1 when they differ'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "apply" -d 'Lint, check every object with a server-side dry run, then server-side apply them all, or write nothing when the server refuses one'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c meshctl -n "__fish_meshctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -s o -s f -l output -l format -d 'Output format' -r -f -a "human\t'Source snippets with underlined spans, for people at a terminal'
plain\t'One line per finding, `file:line:col: severity[CODE name]: message`, for grep and editors'
json\t'The versioned JSON contract (`"version": 1`)'
sarif\t'SARIF 2.1.0, for GitHub code scanning and other SARIF viewers'
github\t'GitHub Actions workflow commands (`::error file=…`), shown as annotations on a PR'
junit\t'JUnit XML, for CI systems that show test reports'"
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l fail-on -d 'Exit 1 when a finding is at or above this severity' -r -f -a "error\t''
warning\t''
info\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l select -d 'Run only these rules: codes (MESH0201), code prefixes (MESH02), names, Istio codes (IST0101: every rule with that code) or ALL, in any case; repeatable, comma-separated. Replaces the configuration\'s `select`' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l ignore -d 'Do not run these rules, named as for --select; repeatable, comma-separated. Adds to the configuration\'s `ignore`' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l config -d 'Configuration file (default: .meshctl.yaml found from the working directory upwards)' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -s n -l namespace -d 'Namespace of objects that name none (default: `default`; with --kube, the context\'s namespace), and the namespace --kube reads' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l context -d 'With --kube: the kubeconfig context (default: its current-context)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l timeout -d 'With --kube: bound on the whole cluster read (30, 30s, 2m)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l mesh-config -d 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, outbound policy, default exportTo, proxy metadata' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l istiod-env -d 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l istio-version -d 'Validate Istio kinds with the CRDs of this Istio release (`1.31`; default: `istioVersion` in .meshctl.yaml, else the newest)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l no-config -d 'Ignore any .meshctl.yaml'
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -l kube -d 'Also read the live objects lint needs from the cluster (listed, never watched); a file overrides the live object of the same kind, namespace and name'
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -s A -l all-namespaces -d 'With --kube: read every namespace'
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c meshctl -n "__fish_meshctl_using_subcommand lint" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand graph" -s o -s f -l output -l format -d 'Output format' -r -f -a "dot\t'Graphviz (render with `dot -Tsvg`)'
mermaid\t'A Mermaid flowchart (Markdown, GitHub)'
json\t'Nodes and edges with their resources and locations'"
complete -c meshctl -n "__fish_meshctl_using_subcommand graph" -l focus -d 'Keep only what leads to or from this host (short names resolve in -n) or Gateway (NS/NAME or NAME)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand graph" -s n -l namespace -d 'Namespace of objects that name none' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand graph" -l mesh-config -d 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, default exportTo' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand graph" -l istiod-env -d 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand graph" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand graph" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c meshctl -n "__fish_meshctl_using_subcommand graph" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand rules" -s o -s f -l output -l format -d 'Output format' -r -f -a "plain\t'A table: code, name, default severity, Istio code, summary'
json\t'A list of `{code, name, severity, istio_code, summary}`'"
complete -c meshctl -n "__fish_meshctl_using_subcommand rules" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand rules" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c meshctl -n "__fish_meshctl_using_subcommand rules" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand explain" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand explain" -s h -l help -d 'Print help'
complete -c meshctl -n "__fish_meshctl_using_subcommand explain" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand schema" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand schema" -s h -l help -d 'Print help'
complete -c meshctl -n "__fish_meshctl_using_subcommand schema" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l request -d 'Request file (YAML or JSON): from, gateway_workload, source, protocol, host, port, method, path, headers, scheme, sni, destination_address, source_ip, jwt, jwt_from. The URL and the flags add to it; one that would change a field the file sets is refused' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l gateway -d 'Enter through a gateway workload: `NS/label=value[,label=value…]` (e.g. `istio-system/istio=ingressgateway`), or `NS/NAME` of a Gateway API Gateway' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l from -d 'Send from a sidecar workload: `NS/label=value[,label=value…]` (e.g. `default/app=productpage,version=v1`), or `NS` alone for a workload without labels in NS. Default: namespace `default`, no labels' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -s X -l request-method -d 'HTTP method (default GET)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -s H -l header -d 'Request header `Name: value`; repeatable' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l address -d 'The IP address the client connects to (default: the host\'s service address, as the cluster\'s DNS answers). It picks the listener' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l sni -d 'The TLS server name of a `tls://` connection (default: the URL\'s host)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l source-ip -d 'The client\'s IP address as the first proxy sees it (the gateway\'s peer, or the client pod\'s IP), for `ipBlocks` and `remoteIpBlocks`' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l jwt-claims -d 'The claims of the JWT the client presents, as a JSON object (`\'{"iss":"…","sub":"…"}\'`), or `malformed` for a token that does not verify. It goes in `Authorization: Bearer`' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -s o -s f -l output -l format -d 'Output format' -r -f -a "human\t'The trace: one line per decision, then the outcome and where it goes'
json\t'The answer and the request as JSON (`"version": 1`), the fields `meshctl test` expects on'"
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -s n -l namespace -d 'Namespace of objects that name none' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l mesh-config -d 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap)' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l istiod-env -d 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c meshctl -n "__fish_meshctl_using_subcommand simulate" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand test" -l cases -d 'An expectation file (YAML or JSON): `tests: [{name, request, expect}]`, or istio-config-validator\'s `testCases:`; repeatable (`--cases a.yaml --cases b.yaml`)' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand test" -s o -s f -l output -l format -d 'Output format' -r -f -a "plain\t'`ok` or `FAIL` per case, with the difference, then `N passed, N failed`'
junit\t'JUnit XML, for CI test reports'"
complete -c meshctl -n "__fish_meshctl_using_subcommand test" -s n -l namespace -d 'Namespace of objects that name none' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand test" -l mesh-config -d 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap)' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand test" -l istiod-env -d 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand test" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c meshctl -n "__fish_meshctl_using_subcommand test" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand render" -s f -l filename -d 'A file or directory of manifests, as kubectl\'s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand render" -s n -l namespace -d 'Namespace of objects that name none' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand render" -s o -l output -d 'Output format' -r -f -a "yaml\t'One YAML document per object'
json\t'A `kind: List` holding the objects'"
complete -c meshctl -n "__fish_meshctl_using_subcommand render" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand render" -l show-secrets -d 'Print Secret `data`/`stringData` values instead of `***`'
complete -c meshctl -n "__fish_meshctl_using_subcommand render" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c meshctl -n "__fish_meshctl_using_subcommand render" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand diff" -s f -l filename -d 'A file or directory of manifests, as kubectl\'s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand diff" -l context -d 'The kubeconfig context to use (default: its current-context). The kubeconfig is `KUBECONFIG` or ~/.kube/config, as for kubectl' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand diff" -s n -l namespace -d 'Namespace of objects that name none (default: the context\'s namespace, else `default`)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand diff" -l timeout -d 'Bound on each request to the API server (30, 30s, 2m, 500ms)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand diff" -l field-manager -d 'The field manager meshctl applies as' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand diff" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand diff" -l force-conflicts -d 'Show the result of taking over fields another field manager owns (as `apply --force-conflicts`)'
complete -c meshctl -n "__fish_meshctl_using_subcommand diff" -s h -l help -d 'Print help'
complete -c meshctl -n "__fish_meshctl_using_subcommand diff" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -s f -l filename -d 'A file or directory of manifests, as kubectl\'s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments' -r -F
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -l context -d 'The kubeconfig context to use (default: its current-context). The kubeconfig is `KUBECONFIG` or ~/.kube/config, as for kubectl' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -s n -l namespace -d 'Namespace of objects that name none (default: the context\'s namespace, else `default`)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -l timeout -d 'Bound on each request to the API server (30, 30s, 2m, 500ms)' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -l dry-run -d '`server`: the server checks every object and nothing is written' -r -f -a "none\t'Write'
server\t'Let the server check every object, write nothing'"
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -l field-manager -d 'The field manager that owns what meshctl applies' -r
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -l force-conflicts -d 'Take over fields another field manager owns instead of refusing'
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -l no-lint -d 'Apply without linting first (by default lint errors refuse the apply)'
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c meshctl -n "__fish_meshctl_using_subcommand apply" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand completions" -l color -d 'When to use colour in human output' -r -f -a "auto\t''
always\t''
never\t''"
complete -c meshctl -n "__fish_meshctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c meshctl -n "__fish_meshctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "lint" -d 'Lint manifests: YAML, schema and structural checks, at file:line:col'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "graph" -d 'Draw the mesh: gateway servers, VirtualService rules, services, subsets and workloads'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "rules" -d 'List every rule: code, name, default severity, Istio equivalent'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "explain" -d 'Print the documentation of one rule'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "schema" -d 'Print the JSON Schema meshctl checks a kind against, or that of one of its own files (list them without KIND)'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "simulate" -d 'Send one request through the compiled Istio routing and explain where it goes'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "test" -d 'Run routing expectations (`tests: [{name, request, expect}]`) through the routing engine; exits 1 when one fails'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "render" -d 'Print the objects `apply` would send, in apply order, namespaces filled in'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "diff" -d 'Compare the live objects with what `apply` would make of them (unified diff, Secrets masked), and the lint findings the change introduces and fixes; exits 1 when they differ'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "apply" -d 'Lint, check every object with a server-side dry run, then server-side apply them all, or write nothing when the server refuses one'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c meshctl -n "__fish_meshctl_using_subcommand help; and not __fish_seen_subcommand_from lint graph rules explain schema simulate test render diff apply completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
