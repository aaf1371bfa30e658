// Command k8s-validate checks rendered Kubernetes manifests (`helm template` output) against
// published schemas, the way an API server with strict field validation would see them:
//
//   - built-in kinds: strict decoding into the k8s.io/api Go types (unknown or duplicate fields
//     and wrong types are errors), the Kubernetes OpenAPI schema of the same release
//     (api/openapi-spec/swagger.json of the k8s.io/kubernetes module: required fields, enums,
//     types), and apimachinery's metadata and label validation plus the cross-field rules of the
//     kinds the chart renders (selector matches template, probes name real ports, ...);
//   - ServiceMonitor: strict decoding into the prometheus-operator Go types;
//   - custom resources with a CRD given by -crds (KEDA's): the CRD's OpenAPI v3 schema through
//     apiextensions-apiserver's validator, and its structural pruning to find unknown fields;
//   - KEDA pulsar triggers: metadata keys against the `keda:"name=..."` tags of the scaler source.
//
// Everything it checks against comes from Go modules; nothing here restates a schema by hand.
// Output: one JSON object per document on stdout (-json) or readable lines; exit 1 on any error.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	"sigs.k8s.io/yaml"
)

type report struct {
	Source    string   `json:"source"`
	Kind      string   `json:"kind"`
	Name      string   `json:"name"`
	Namespace string   `json:"namespace,omitempty"`
	Checks    []string `json:"checks"`
	Errors    []string `json:"errors"`
}

type crdSchema struct {
	validator  crdvalidation.SchemaValidator
	structural *structuralschema.Structural
	namespaced bool
}

type validator struct {
	scheme     *runtime.Scheme
	strict     runtime.Serializer
	openapi    map[schema.GroupVersionKind]*spec.Schema
	defs       map[string]map[string]any
	gvkDefs    map[schema.GroupVersionKind]string
	crds       map[schema.GroupVersionKind]crdSchema
	pulsarKeys map[string]bool
}

func main() {
	openapiPath := flag.String("openapi", "", "Kubernetes swagger.json (api/openapi-spec/swagger.json in the k8s.io/kubernetes module)")
	crdDirs := flag.String("crds", "", "directories of CRD YAML files, separated by commas (KEDA's config/crd/bases)")
	pulsarScaler := flag.String("keda-pulsar-scaler", "", "KEDA's pkg/scalers/pulsar_scaler.go and authentication/authentication_types.go (commas between), whose keda:\"name=...\" tags list the trigger's metadata keys")
	asJSON := flag.Bool("json", false, "one JSON report per document")
	flag.Parse()
	if *openapiPath == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: k8s-validate -openapi swagger.json [-crds DIR,...] [-keda-pulsar-scaler FILE] [-json] MANIFEST.yaml...")
		os.Exit(2)
	}
	v, err := newValidator(*openapiPath, *crdDirs, *pulsarScaler)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8s-validate:", err)
		os.Exit(2)
	}
	failed := false
	for _, path := range flag.Args() {
		reports, err := v.file(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "k8s-validate:", err)
			os.Exit(2)
		}
		for _, r := range reports {
			if len(r.Errors) > 0 {
				failed = true
			}
			if *asJSON {
				b, _ := json.Marshal(r)
				fmt.Println(string(b))
			} else if len(r.Errors) == 0 {
				fmt.Printf("ok    %s %s/%s (%s)\n", r.Source, r.Kind, r.Name, strings.Join(r.Checks, ", "))
			} else {
				fmt.Printf("FAIL  %s %s/%s\n", r.Source, r.Kind, r.Name)
				for _, e := range r.Errors {
					fmt.Printf("        %s\n", e)
				}
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

func newValidator(openapiPath, crdDirs, pulsarScaler string) (*validator, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme,
		autoscalingv2.AddToScheme, rbacv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	v := &validator{
		scheme:  scheme,
		strict:  kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Strict: true}),
		openapi: map[schema.GroupVersionKind]*spec.Schema{},
		gvkDefs: map[schema.GroupVersionKind]string{},
		crds:    map[schema.GroupVersionKind]crdSchema{},
	}
	if err := v.loadOpenAPI(openapiPath); err != nil {
		return nil, fmt.Errorf("%s: %w", openapiPath, err)
	}
	for _, dir := range strings.Split(crdDirs, ",") {
		if dir == "" {
			continue
		}
		if err := v.loadCRDs(dir); err != nil {
			return nil, err
		}
	}
	if pulsarScaler != "" {
		// Trigger metadata keys are the names of `keda:"name=a;b, order=triggerMetadata..."` tags.
		tag := regexp.MustCompile(`keda:"name=([A-Za-z0-9_;]+),\s*order=([A-Za-z;]+)`)
		v.pulsarKeys = map[string]bool{}
		for _, file := range strings.Split(pulsarScaler, ",") {
			src, err := os.ReadFile(file)
			if err != nil {
				return nil, err
			}
			for _, m := range tag.FindAllStringSubmatch(string(src), -1) {
				if strings.Contains(m[2], "triggerMetadata") {
					for _, name := range strings.Split(m[1], ";") {
						v.pulsarKeys[name] = true
					}
				}
			}
		}
		if !v.pulsarKeys["adminURL"] {
			return nil, fmt.Errorf("%s: no keda:\"name=adminURL...\" tag found", pulsarScaler)
		}
	}
	return v, nil
}

// loadOpenAPI indexes the swagger definitions by their x-kubernetes-group-version-kind, with every
// $ref inlined (kube-openapi's validator does not follow references).
func (v *validator) loadOpenAPI(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	// The swagger gives IntOrString and Quantity as "type: string", leaving it to clients to know
	// that their Go types (and so the API server) also take JSON numbers; say so in the schema.
	// Strict decoding into the Go types still rejects a malformed quantity.
	doc.Definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = map[string]any{"anyOf": []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}}
	doc.Definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = map[string]any{"anyOf": []any{map[string]any{"type": "number"}, map[string]any{"type": "string"}}}
	v.defs = doc.Definitions
	for name, def := range doc.Definitions {
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			m, _ := g.(map[string]any)
			v.gvkDefs[schema.GroupVersionKind{Group: fmt.Sprint(m["group"]), Version: fmt.Sprint(m["version"]), Kind: fmt.Sprint(m["kind"])}] = name
		}
	}
	if len(v.gvkDefs) == 0 {
		return errors.New("no definitions with x-kubernetes-group-version-kind")
	}
	return nil
}

// openAPISchema is the definition of a kind with every $ref inlined, built on first use.
func (v *validator) openAPISchema(gvk schema.GroupVersionKind) (*spec.Schema, error) {
	if s, ok := v.openapi[gvk]; ok {
		return s, nil
	}
	name, ok := v.gvkDefs[gvk]
	if !ok {
		return nil, nil
	}
	b, err := json.Marshal(inline(v.defs[name], v.defs, map[string]bool{name: true}))
	if err != nil {
		return nil, err
	}
	s := new(spec.Schema)
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("definition %s: %w", name, err)
	}
	v.openapi[gvk] = s
	return s, nil
}

// inline replaces {"$ref": "#/definitions/X"} with X itself; a reference back into a definition
// being expanded (only recursive types such as JSONSchemaProps) becomes an open schema.
func inline(node any, defs map[string]map[string]any, onPath map[string]bool) any {
	switch n := node.(type) {
	case map[string]any:
		if ref, ok := n["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/definitions/")
			if onPath[name] || defs[name] == nil {
				return map[string]any{}
			}
			onPath[name] = true
			out := inline(defs[name], defs, onPath)
			delete(onPath, name)
			return out
		}
		out := make(map[string]any, len(n))
		for k, val := range n {
			out[k] = inline(val, defs, onPath)
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, val := range n {
			out[i] = inline(val, defs, onPath)
		}
		return out
	default:
		return node
	}
}

func (v *validator) loadCRDs(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(raw, &crd); err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, ver := range crd.Spec.Versions {
			if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
				continue
			}
			internal := new(apiextensions.JSONSchemaProps)
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(ver.Schema.OpenAPIV3Schema, internal, nil); err != nil {
				return fmt.Errorf("%s %s: %w", e.Name(), ver.Name, err)
			}
			sv, _, err := crdvalidation.NewSchemaValidator(internal)
			if err != nil {
				return fmt.Errorf("%s %s: %w", e.Name(), ver.Name, err)
			}
			st, err := structuralschema.NewStructural(internal)
			if err != nil {
				return fmt.Errorf("%s %s: %w", e.Name(), ver.Name, err)
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}
			v.crds[gvk] = crdSchema{validator: sv, structural: st, namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped}
		}
	}
	return nil
}

func (v *validator) file(path string) ([]report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var out []report
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		r, empty := v.document(doc)
		if empty {
			continue
		}
		r.Source = fmt.Sprintf("%s#%d", filepath.Base(path), i)
		if src := sourceComment(doc); src != "" {
			r.Source = src
		}
		out = append(out, r)
	}
}

// sourceComment is helm's "# Source: chart/templates/x.yaml" line, when there is one.
func sourceComment(doc []byte) string {
	for _, line := range strings.Split(string(doc), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "# Source: "); ok {
			return s
		}
	}
	return ""
}

func (v *validator) document(doc []byte) (report, bool) {
	var r report
	fail := func(format string, a ...any) { r.Errors = append(r.Errors, fmt.Sprintf(format, a...)) }
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		fail("yaml: %v", err)
		return r, false
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return r, true
	}
	// apimachinery's JSON decoding, as the API server's: whole numbers become int64.
	var obj map[string]any
	if err := utiljson.Unmarshal(data, &obj); err != nil {
		fail("not an object: %v", err)
		return r, false
	}
	apiVersion, _ := obj["apiVersion"].(string)
	r.Kind, _ = obj["kind"].(string)
	if md, ok := obj["metadata"].(map[string]any); ok {
		r.Name, _ = md["name"].(string)
		r.Namespace, _ = md["namespace"].(string)
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || r.Kind == "" {
		fail("apiVersion %q / kind %q: %v", apiVersion, r.Kind, err)
		return r, false
	}
	gvk := gv.WithKind(r.Kind)

	known := false
	if v.scheme.Recognizes(gvk) {
		known = true
		r.Checks = append(r.Checks, "strict-decode")
		typed, _, err := v.strict.Decode(data, nil, nil)
		if err != nil {
			fail("strict decode as %s: %v", gvk, err)
		}
		// A strict-decoding error (unknown or duplicate fields) still yields the object.
		if typed != nil && (err == nil || runtime.IsStrictDecodingError(err)) {
			for _, e := range semantic(typed) {
				fail("%s", e.Error())
			}
			r.Checks = append(r.Checks, "semantics")
		}
	}
	if s, err := v.openAPISchema(gvk); err != nil {
		fail("openapi schema of %s: %v", gvk, err)
	} else if s != nil {
		known = true
		r.Checks = append(r.Checks, "openapi")
		res := validate.NewSchemaValidator(s, nil, "", strfmt.Default).Validate(obj)
		for _, e := range res.Errors {
			fail("openapi: %v", e)
		}
	}
	if c, ok := v.crds[gvk]; ok {
		known = true
		r.Checks = append(r.Checks, "crd-schema", "crd-unknown-fields")
		pruned := runtime.DeepCopyJSON(obj)
		unknown := pruning.PruneWithOptions(pruned, c.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
		sort.Strings(unknown)
		for _, u := range unknown {
			fail("unknown field %q (the %s CRD's schema has no such field)", u, r.Kind)
		}
		for _, e := range crdvalidation.ValidateCustomResource(nil, obj, c.validator) {
			fail("%s", e.Error())
		}
		meta := new(metav1.ObjectMeta)
		if md, err := json.Marshal(obj["metadata"]); err == nil && json.Unmarshal(md, meta) == nil {
			for _, e := range apimachineryvalidation.ValidateObjectMeta(meta, c.namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata")) {
				fail("%s", e.Error())
			}
		}
		if gvk.Group == "keda.sh" && r.Kind == "ScaledObject" && v.pulsarKeys != nil {
			r.Checks = append(r.Checks, "keda-pulsar-metadata")
			for _, e := range v.pulsarTriggers(obj) {
				fail("%s", e)
			}
		}
	}
	if !known {
		fail("no schema for %s: neither a built-in kind of this Kubernetes release nor a CRD given with -crds", gvk)
	}
	return r, false
}

func (v *validator) pulsarTriggers(obj map[string]any) []string {
	var errs []string
	spec, _ := obj["spec"].(map[string]any)
	triggers, _ := spec["triggers"].([]any)
	for i, t := range triggers {
		tm, _ := t.(map[string]any)
		if tm["type"] != "apache-pulsar" && tm["type"] != "pulsar" {
			continue
		}
		md, _ := tm["metadata"].(map[string]any)
		for k, val := range md {
			if !v.pulsarKeys[k] {
				errs = append(errs, fmt.Sprintf("spec.triggers[%d].metadata.%s: not a metadata key of KEDA's pulsar scaler", i, k))
			}
			if _, ok := val.(string); !ok {
				errs = append(errs, fmt.Sprintf("spec.triggers[%d].metadata.%s: KEDA trigger metadata values are strings, got %T", i, k, val))
			}
		}
		for _, need := range []string{"adminURL", "topic", "subscription"} {
			if _, ok := md[need]; !ok {
				errs = append(errs, fmt.Sprintf("spec.triggers[%d].metadata.%s: required by KEDA's pulsar scaler", i, need))
			}
		}
	}
	return errs
}
