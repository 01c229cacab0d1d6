
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'meshctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'meshctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'meshctl' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Lint manifests: YAML, schema and structural checks, at file:line:col')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Draw the mesh: gateway servers, VirtualService rules, services, subsets and workloads')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'List every rule: code, name, default severity, Istio equivalent')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Print the documentation of one rule')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema meshctl checks a kind against, or that of one of its own files (list them without KIND)')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Send one request through the compiled Istio routing and explain where it goes')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run routing expectations (`tests: [{name, request, expect}]`) through the routing engine; exits 1 when one fails')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Print the objects `apply` would send, in apply order, namespaces filled in')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare the live objects with what `apply` would make of them (unified diff, Secrets masked), and the lint findings the change introduces and fixes; exits 1 when they differ')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Lint, check every object with a server-side dry run, then server-side apply them all, or write nothing when the server refuses one')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'meshctl;lint' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a finding is at or above this severity')
            [CompletionResult]::new('--select', '--select', [CompletionResultType]::ParameterName, 'Run only these rules: codes (MESH0201), code prefixes (MESH02), names, Istio codes (IST0101: every rule with that code) or ALL, in any case; repeatable, comma-separated. Replaces the configuration''s `select`')
            [CompletionResult]::new('--ignore', '--ignore', [CompletionResultType]::ParameterName, 'Do not run these rules, named as for --select; repeatable, comma-separated. Adds to the configuration''s `ignore`')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (default: .meshctl.yaml found from the working directory upwards)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of objects that name none (default: `default`; with --kube, the context''s namespace), and the namespace --kube reads')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of objects that name none (default: `default`; with --kube, the context''s namespace), and the namespace --kube reads')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'With --kube: the kubeconfig context (default: its current-context)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'With --kube: bound on the whole cluster read (30, 30s, 2m)')
            [CompletionResult]::new('--mesh-config', '--mesh-config', [CompletionResultType]::ParameterName, 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, outbound policy, default exportTo, proxy metadata')
            [CompletionResult]::new('--istiod-env', '--istiod-env', [CompletionResultType]::ParameterName, 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes')
            [CompletionResult]::new('--istio-version', '--istio-version', [CompletionResultType]::ParameterName, 'Validate Istio kinds with the CRDs of this Istio release (`1.31`; default: `istioVersion` in .meshctl.yaml, else the newest)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Ignore any .meshctl.yaml')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Also read the live objects lint needs from the cluster (listed, never watched); a file overrides the live object of the same kind, namespace and name')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'With --kube: read every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'With --kube: read every namespace')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;graph' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--focus', '--focus', [CompletionResultType]::ParameterName, 'Keep only what leads to or from this host (short names resolve in -n) or Gateway (NS/NAME or NAME)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of objects that name none')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of objects that name none')
            [CompletionResult]::new('--mesh-config', '--mesh-config', [CompletionResultType]::ParameterName, 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, default exportTo')
            [CompletionResult]::new('--istiod-env', '--istiod-env', [CompletionResultType]::ParameterName, 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;rules' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;explain' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;schema' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;simulate' {
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'Request file (YAML or JSON): from, gateway_workload, source, protocol, host, port, method, path, headers, scheme, sni, destination_address, source_ip, jwt, jwt_from. The URL and the flags add to it; one that would change a field the file sets is refused')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'Enter through a gateway workload: `NS/label=value[,label=value…]` (e.g. `istio-system/istio=ingressgateway`), or `NS/NAME` of a Gateway API Gateway')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Send from a sidecar workload: `NS/label=value[,label=value…]` (e.g. `default/app=productpage,version=v1`), or `NS` alone for a workload without labels in NS. Default: namespace `default`, no labels')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'HTTP method (default GET)')
            [CompletionResult]::new('--request-method', '--request-method', [CompletionResultType]::ParameterName, 'HTTP method (default GET)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Request header `Name: value`; repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Request header `Name: value`; repeatable')
            [CompletionResult]::new('--address', '--address', [CompletionResultType]::ParameterName, 'The IP address the client connects to (default: the host''s service address, as the cluster''s DNS answers). It picks the listener')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'The TLS server name of a `tls://` connection (default: the URL''s host)')
            [CompletionResult]::new('--source-ip', '--source-ip', [CompletionResultType]::ParameterName, 'The client''s IP address as the first proxy sees it (the gateway''s peer, or the client pod''s IP), for `ipBlocks` and `remoteIpBlocks`')
            [CompletionResult]::new('--jwt-claims', '--jwt-claims', [CompletionResultType]::ParameterName, 'The claims of the JWT the client presents, as a JSON object (`''{"iss":"…","sub":"…"}''`), or `malformed` for a token that does not verify. It goes in `Authorization: Bearer`')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of objects that name none')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of objects that name none')
            [CompletionResult]::new('--mesh-config', '--mesh-config', [CompletionResultType]::ParameterName, 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap)')
            [CompletionResult]::new('--istiod-env', '--istiod-env', [CompletionResultType]::ParameterName, 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;test' {
            [CompletionResult]::new('--cases', '--cases', [CompletionResultType]::ParameterName, 'An expectation file (YAML or JSON): `tests: [{name, request, expect}]`, or istio-config-validator''s `testCases:`; repeatable (`--cases a.yaml --cases b.yaml`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of objects that name none')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of objects that name none')
            [CompletionResult]::new('--mesh-config', '--mesh-config', [CompletionResultType]::ParameterName, 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap)')
            [CompletionResult]::new('--istiod-env', '--istiod-env', [CompletionResultType]::ParameterName, 'An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes istiod serve Gateway API TCP listeners and TCPRoutes')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;render' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of objects that name none')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of objects that name none')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print Secret `data`/`stringData` values instead of `***`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;diff' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: its current-context). The kubeconfig is `KUBECONFIG` or ~/.kube/config, as for kubectl')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of objects that name none (default: the context''s namespace, else `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of objects that name none (default: the context''s namespace, else `default`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each request to the API server (30, 30s, 2m, 500ms)')
            [CompletionResult]::new('--field-manager', '--field-manager', [CompletionResultType]::ParameterName, 'The field manager meshctl applies as')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('--force-conflicts', '--force-conflicts', [CompletionResultType]::ParameterName, 'Show the result of taking over fields another field manager owns (as `apply --force-conflicts`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;apply' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'A file or directory of manifests, as kubectl''s `-f` (directories are always read recursively: there is no `-R`); repeatable, read after the PATH arguments')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: its current-context). The kubeconfig is `KUBECONFIG` or ~/.kube/config, as for kubectl')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of objects that name none (default: the context''s namespace, else `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of objects that name none (default: the context''s namespace, else `default`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each request to the API server (30, 30s, 2m, 500ms)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, '`server`: the server checks every object and nothing is written')
            [CompletionResult]::new('--field-manager', '--field-manager', [CompletionResultType]::ParameterName, 'The field manager that owns what meshctl applies')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('--force-conflicts', '--force-conflicts', [CompletionResultType]::ParameterName, 'Take over fields another field manager owns instead of refusing')
            [CompletionResult]::new('--no-lint', '--no-lint', [CompletionResultType]::ParameterName, 'Apply without linting first (by default lint errors refuse the apply)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour in human output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'meshctl;help' {
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Lint manifests: YAML, schema and structural checks, at file:line:col')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Draw the mesh: gateway servers, VirtualService rules, services, subsets and workloads')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'List every rule: code, name, default severity, Istio equivalent')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Print the documentation of one rule')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema meshctl checks a kind against, or that of one of its own files (list them without KIND)')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Send one request through the compiled Istio routing and explain where it goes')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run routing expectations (`tests: [{name, request, expect}]`) through the routing engine; exits 1 when one fails')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Print the objects `apply` would send, in apply order, namespaces filled in')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare the live objects with what `apply` would make of them (unified diff, Secrets masked), and the lint findings the change introduces and fixes; exits 1 when they differ')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Lint, check every object with a server-side dry run, then server-side apply them all, or write nothing when the server refuses one')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'meshctl;help;lint' {
            break
        }
        'meshctl;help;graph' {
            break
        }
        'meshctl;help;rules' {
            break
        }
        'meshctl;help;explain' {
            break
        }
        'meshctl;help;schema' {
            break
        }
        'meshctl;help;simulate' {
            break
        }
        'meshctl;help;test' {
            break
        }
        'meshctl;help;render' {
            break
        }
        'meshctl;help;diff' {
            break
        }
        'meshctl;help;apply' {
            break
        }
        'meshctl;help;completions' {
            break
        }
        'meshctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
