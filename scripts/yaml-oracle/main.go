// Command yaml-oracle reads a manifest file the way `kubectl apply -f` reads it and prints, for each
// document kubectl would use, one JSON line:
//
//	{"value": V}                    the JSON value kubectl sends for the document
//	{"error": "..."}                kubectl refuses the document
//	{"unstable": "...", "value": V} two keys of one mapping become the same JSON key, and which one
//	                                wins depends on Go's map order: V is one run's answer
//
// Reading is kubectl's own code: cli-runtime's StreamVisitor runs k8s.io/apimachinery/pkg/util/yaml's
// NewYAMLOrJSONDecoder (a stream whose first non-space byte is `{` is read as a JSON stream, anything
// else is split into documents by NewYAMLReader and converted by sigs.k8s.io/yaml.Unmarshal, which is
// YAMLToJSON here since the target, runtime.RawExtension, unmarshals JSON itself), drops documents
// that are empty or null, and decodes the rest with k8s.io/apimachinery/pkg/util/json (as
// unstructured.UnstructuredJSONScheme does) before anything is sent. The value printed is that
// decoded object marshalled again (keys sorted, as Go does), so numbers are printed as Kubernetes
// prints them; the line is written with encoding/json's Encoder, without HTML escapes.
//
// Usage: yaml-oracle [FILE]   (standard input when FILE is missing or "-")
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	goyaml "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// sniffBytes is how far kubectl looks for the `{` of a JSON stream (cli-runtime's StreamVisitor).
const sniffBytes = 4096

func main() {
	data, err := readInput(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "yaml-oracle:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	// No HTML escapes: a reader of this output meets only JSON's own (and \u2028, \u2029).
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	emit := func(v map[string]interface{}) {
		if err := enc.Encode(v); err != nil {
			enc.Encode(map[string]string{"error": err.Error()})
		}
	}

	jsonStream := utilyaml.IsJSONBuffer(data[:min(len(data), sniffBytes)])
	// In a YAML stream every Decode reads exactly one chunk of NewYAMLReader: a second reader over
	// the same bytes, in step, gives that chunk for the map-order check.
	var chunks *utilyaml.YAMLReader
	if !jsonStream {
		chunks = utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	}
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), sniffBytes)
	decoded := 0
	for {
		var chunk []byte
		if chunks != nil {
			chunk, _ = chunks.Read()
		}
		ext := runtime.RawExtension{}
		err := d.Decode(&ext)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			emit(map[string]interface{}{"error": err.Error()})
			// After two JSON values the decoder never leaves JSON, and a JSON error sticks.
			if jsonStream && decoded > 1 {
				return
			}
			continue
		}
		decoded++
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		var obj interface{}
		if err := utiljson.Unmarshal(raw, &obj); err != nil {
			emit(map[string]interface{}{"error": err.Error()})
			continue
		}
		line := map[string]interface{}{"value": obj}
		if why := unstable(chunk); why != "" {
			line["unstable"] = why
		}
		emit(line)
	}
}

func readInput(args []string) ([]byte, error) {
	if len(args) > 1 {
		return nil, errors.New("usage: yaml-oracle [FILE]")
	}
	if len(args) == 0 || args[0] == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(args[0])
}

// unstable says why sigs.k8s.io/yaml's answer for a chunk depends on Go's map order: two distinct
// keys of one mapping (an int and a string, say) that it turns into the same JSON key. It is empty
// when the answer is certain.
func unstable(chunk []byte) string {
	if chunk == nil {
		return ""
	}
	var obj interface{}
	if goyaml.Unmarshal(chunk, &obj) != nil {
		return ""
	}
	return collision(obj)
}

func collision(v interface{}) string {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		seen := map[string]interface{}{}
		for k, child := range t {
			s, ok := jsonKey(k)
			if ok {
				if other, dup := seen[s]; dup {
					return fmt.Sprintf("the keys %#v and %#v both become %q", other, k, s)
				}
				seen[s] = k
			}
			if why := collision(child); why != "" {
				return why
			}
		}
	case []interface{}:
		for _, child := range t {
			if why := collision(child); why != "" {
				return why
			}
		}
	}
	return ""
}

// jsonKey is sigs.k8s.io/yaml's convertToJSONableObject for one key.
func jsonKey(k interface{}) (string, bool) {
	switch t := k.(type) {
	case string:
		return t, true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		s := strconv.FormatFloat(t, 'g', -1, 32)
		switch s {
		case "+Inf":
			s = ".inf"
		case "-Inf":
			s = "-.inf"
		case "NaN":
			s = ".nan"
		}
		return s, true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}
