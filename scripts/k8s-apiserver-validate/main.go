// Command k8s-apiserver-validate runs what kube-apiserver v1.37.2 runs on a create, before storage,
// on each built-in object of a rendered manifest: decoding with the API server's scheme,
// defaulting, conversion to the internal types, and rest.BeforeCreate with the resource's registry
// strategy (PrepareForCreate, then the k8s.io/kubernetes/pkg/apis/*/validation functions and the
// object-meta checks). It is the API server's code from the k8s.io/kubernetes module, without etcd
// or admission; custom resources are left to k8s-validate (CRD schemas).
// Output: one JSON object per document (as k8s-validate's); exit 1 on any error.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/autoscaling/install"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	api "k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	"k8s.io/kubernetes/pkg/registry/apps/deployment"
	"k8s.io/kubernetes/pkg/registry/autoscaling/horizontalpodautoscaler"
	"k8s.io/kubernetes/pkg/registry/batch/job"
	"k8s.io/kubernetes/pkg/registry/core/configmap"
	"k8s.io/kubernetes/pkg/registry/core/service"
	"k8s.io/kubernetes/pkg/registry/core/serviceaccount"
	"k8s.io/kubernetes/pkg/registry/policy/poddisruptionbudget"
	"sigs.k8s.io/yaml"
)

// The resource (plural) of each kind, for the request info the strategies read.
var resources = map[string]string{
	"Deployment": "deployments", "Job": "jobs", "PodDisruptionBudget": "poddisruptionbudgets",
	"HorizontalPodAutoscaler": "horizontalpodautoscalers", "ConfigMap": "configmaps",
	"ServiceAccount": "serviceaccounts", "Service": "services",
}

var strategies = map[schema.GroupKind]rest.RESTCreateStrategy{
	{Group: "apps", Kind: "Deployment"}:                     deployment.Strategy,
	{Group: "batch", Kind: "Job"}:                           job.Strategy,
	{Group: "policy", Kind: "PodDisruptionBudget"}:          poddisruptionbudget.Strategy,
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}: horizontalpodautoscaler.Strategy,
	{Group: "", Kind: "ConfigMap"}:                          configmap.Strategy,
	{Group: "", Kind: "ServiceAccount"}:                     serviceaccount.Strategy,
	{Group: "", Kind: "Service"}:                            service.Strategy,
}

type report struct {
	Source string   `json:"source"`
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	Checks []string `json:"checks"`
	Errors []string `json:"errors"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8s-apiserver-validate MANIFEST.yaml...")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
		for i := 0; ; i++ {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			r, skip := check(doc)
			if skip {
				continue
			}
			if r.Source == "" {
				r.Source = fmt.Sprintf("%s#%d", filepath.Base(path), i)
			}
			if len(r.Errors) > 0 {
				failed = true
			}
			b, _ := json.Marshal(r)
			fmt.Println(string(b))
		}
		f.Close()
	}
	if failed {
		os.Exit(1)
	}
}

func check(doc []byte) (report, bool) {
	var r report
	for _, line := range strings.Split(string(doc), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "# Source: "); ok {
			r.Source = s
		}
	}
	data, err := yaml.YAMLToJSON(doc)
	if err != nil || strings.TrimSpace(string(data)) == "null" {
		return r, err == nil
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		r.Errors = append(r.Errors, err.Error())
		return r, false
	}
	r.Kind, r.Name = meta.Kind, meta.Metadata.Name
	gv, _ := schema.ParseGroupVersion(meta.APIVersion)
	strategy, ok := strategies[schema.GroupKind{Group: gv.Group, Kind: meta.Kind}]
	if !ok {
		return r, true // not a built-in kind this tool knows: k8s-validate covers it
	}
	r.Checks = []string{"apiserver-create"}
	obj, _, err := legacyscheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		r.Errors = append(r.Errors, "decode: "+err.Error())
		return r, false
	}
	legacyscheme.Scheme.Default(obj)
	internal, err := legacyscheme.Scheme.ConvertToVersion(obj, schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal})
	if err != nil {
		r.Errors = append(r.Errors, "convert: "+err.Error())
		return r, false
	}
	ns := meta.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	ctx := genericapirequest.WithNamespace(context.Background(), ns)
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: "create", APIPrefix: "apis", APIGroup: gv.Group, APIVersion: gv.Version,
		Namespace: ns, Resource: resources[meta.Kind], Name: meta.Metadata.Name,
	})
	// The Service REST storage (not its strategy) fills clusterIPs from clusterIP before
	// validating (normalizeClusterIPs in pkg/registry/core/service/storage); headless only here.
	if svc, ok := internal.(*api.Service); ok && svc.Spec.ClusterIP == api.ClusterIPNone && len(svc.Spec.ClusterIPs) == 0 {
		svc.Spec.ClusterIPs = []string{api.ClusterIPNone}
	}
	if accessor, ok := internal.(interface{ SetUID(types.UID) }); ok {
		accessor.SetUID("00000000-0000-0000-0000-000000000020") // the API server assigns one before PrepareForCreate uses it (Job selectors)
	}
	if err := rest.BeforeCreate(strategy, ctx, internal); err != nil {
		var status *apierrors.StatusError
		if errors.As(err, &status) && status.ErrStatus.Details != nil && len(status.ErrStatus.Details.Causes) > 0 {
			for _, c := range status.ErrStatus.Details.Causes {
				r.Errors = append(r.Errors, fmt.Sprintf("%s: %s", c.Field, c.Message))
			}
		} else {
			r.Errors = append(r.Errors, err.Error())
		}
	}
	return r, false
}
