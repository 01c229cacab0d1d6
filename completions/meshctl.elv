
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
            cand rules 'List every rule: code, name, default severity, Istio equivalent'
            cand explain 'Print the documentation of one rule'
            cand schema 'Print the JSON Schema meshctl checks a kind against (list them without KIND)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'meshctl;lint'= {
            cand -f 'Output format'
            cand --format 'Output format'
            cand --fail-on 'Exit 1 when a finding is at or above this severity'
            cand --select 'Run only these rules (codes, code prefixes such as MESH02, or names); repeatable, comma-separated'
            cand --ignore 'Do not run these rules (codes, code prefixes or names); repeatable, comma-separated'
            cand --config 'Configuration file (default: .meshctl.yaml found from the working directory upwards)'
            cand -n 'Namespace of objects that name none'
            cand --namespace 'Namespace of objects that name none'
            cand --mesh-config 'Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, outbound policy, default exportTo, proxy metadata'
            cand --color 'When to use colour in human output'
            cand --no-config 'Ignore any .meshctl.yaml'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;rules'= {
            cand -f 'Output format'
            cand --format 'Output format'
            cand --color 'When to use colour in human output'
            cand -h 'Print help'
            cand --help 'Print help'
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
        &'meshctl;completions'= {
            cand --color 'When to use colour in human output'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'meshctl;help'= {
            cand lint 'Lint manifests: YAML, schema and structural checks, at file:line:col'
            cand rules 'List every rule: code, name, default severity, Istio equivalent'
            cand explain 'Print the documentation of one rule'
            cand schema 'Print the JSON Schema meshctl checks a kind against (list them without KIND)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'meshctl;help;lint'= {
        }
        &'meshctl;help;rules'= {
        }
        &'meshctl;help;explain'= {
        }
        &'meshctl;help;schema'= {
        }
        &'meshctl;help;completions'= {
        }
        &'meshctl;help;help'= {
        }
    ]
    $completions[$command]
}
