package main

// The cross-field rules an API server applies to the kinds the chart renders, written with
// apimachinery's validation helpers. The authoritative rules live in k8s.io/kubernetes'
// pkg/apis/*/validation, which cannot be imported as a library without rebuilding most of the
// API server; these cover what a chart can get wrong and the schemas cannot express.

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func semantic(obj runtime.Object) field.ErrorList {
	var errs field.ErrorList
	meta := field.NewPath("metadata")
	if a, ok := obj.(metav1.Object); ok {
		om := metav1.ObjectMeta{Name: a.GetName(), Namespace: a.GetNamespace(), Labels: a.GetLabels(), Annotations: a.GetAnnotations()}
		errs = append(errs, apimachineryvalidation.ValidateObjectMeta(&om, true, apimachineryvalidation.NameIsDNSSubdomain, meta)...)
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		p := field.NewPath("spec")
		if o.Spec.Replicas != nil && *o.Spec.Replicas < 0 {
			errs = append(errs, field.Invalid(p.Child("replicas"), *o.Spec.Replicas, "must be >= 0"))
		}
		errs = append(errs, selectorMatches(o.Spec.Selector, o.Spec.Template.Labels, p)...)
		if rp := o.Spec.Template.Spec.RestartPolicy; rp != "" && rp != corev1.RestartPolicyAlways {
			errs = append(errs, field.NotSupported(p.Child("template", "spec", "restartPolicy"), rp, []string{"Always"}))
		}
		errs = append(errs, podSpec(&o.Spec.Template.Spec, p.Child("template", "spec"))...)
	case *batchv1.Job:
		p := field.NewPath("spec")
		if rp := o.Spec.Template.Spec.RestartPolicy; rp != corev1.RestartPolicyNever && rp != corev1.RestartPolicyOnFailure {
			errs = append(errs, field.NotSupported(p.Child("template", "spec", "restartPolicy"), rp, []string{"Never", "OnFailure"}))
		}
		if o.Spec.Selector != nil && (o.Spec.ManualSelector == nil || !*o.Spec.ManualSelector) {
			errs = append(errs, field.Invalid(p.Child("selector"), o.Spec.Selector, "set only with manualSelector: true"))
		}
		errs = append(errs, podSpec(&o.Spec.Template.Spec, p.Child("template", "spec"))...)
	case *policyv1.PodDisruptionBudget:
		p := field.NewPath("spec")
		if (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
			errs = append(errs, field.Invalid(p, "", "set exactly one of minAvailable and maxUnavailable"))
		}
		if o.Spec.Selector == nil {
			errs = append(errs, field.Required(p.Child("selector"), "a PDB without a selector selects nothing"))
		} else {
			errs = append(errs, metav1validation.ValidateLabelSelector(o.Spec.Selector, metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		p := field.NewPath("spec")
		min := int32(1)
		if o.Spec.MinReplicas != nil {
			min = *o.Spec.MinReplicas
		}
		if min < 1 || min > o.Spec.MaxReplicas {
			errs = append(errs, field.Invalid(p.Child("minReplicas"), min, fmt.Sprintf("must be 1..maxReplicas (%d)", o.Spec.MaxReplicas)))
		}
		if o.Spec.ScaleTargetRef.Kind == "" || o.Spec.ScaleTargetRef.Name == "" {
			errs = append(errs, field.Required(p.Child("scaleTargetRef"), "kind and name"))
		}
		for i, m := range o.Spec.Metrics {
			mp := p.Child("metrics").Index(i)
			if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource == nil {
				errs = append(errs, field.Required(mp.Child("resource"), "type Resource needs resource"))
			}
		}
	case *corev1.Service:
		for i, port := range o.Spec.Ports {
			pp := field.NewPath("spec", "ports").Index(i)
			if port.Name != "" {
				for _, msg := range validation.IsValidPortName(port.Name) {
					errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
				}
			}
			for _, msg := range validation.IsValidPortNum(int(port.Port)) {
				errs = append(errs, field.Invalid(pp.Child("port"), port.Port, msg))
			}
		}
	case *monitoringv1.ServiceMonitor:
		p := field.NewPath("spec")
		if len(o.Spec.Endpoints) == 0 {
			errs = append(errs, field.Required(p.Child("endpoints"), "at least one endpoint"))
		}
		errs = append(errs, metav1validation.ValidateLabelSelector(&o.Spec.Selector, metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
	}
	return errs
}

func selectorMatches(sel *metav1.LabelSelector, tmpl map[string]string, p *field.Path) field.ErrorList {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return field.ErrorList{field.Required(p.Child("selector"), "a non-empty selector")}
	}
	errs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err == nil && !s.Matches(labels.Set(tmpl)) {
		errs = append(errs, field.Invalid(p.Child("template", "metadata", "labels"), tmpl, "`selector` does not match template `labels`"))
	}
	return errs
}

func podSpec(s *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	volumes := map[string]bool{}
	for i, v := range s.Volumes {
		vp := p.Child("volumes").Index(i)
		for _, msg := range validation.IsDNS1123Label(v.Name) {
			errs = append(errs, field.Invalid(vp.Child("name"), v.Name, msg))
		}
		if volumes[v.Name] {
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		volumes[v.Name] = true
		sources := 0
		for _, set := range []bool{v.EmptyDir != nil, v.ConfigMap != nil, v.Secret != nil, v.Projected != nil, v.PersistentVolumeClaim != nil, v.HostPath != nil, v.DownwardAPI != nil, v.CSI != nil, v.Ephemeral != nil, v.Image != nil} {
			if set {
				sources++
			}
		}
		if sources != 1 {
			errs = append(errs, field.Invalid(vp, v.Name, "set exactly one volume source"))
		}
	}
	if s.TerminationGracePeriodSeconds != nil && *s.TerminationGracePeriodSeconds < 0 {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), *s.TerminationGracePeriodSeconds, "must be >= 0"))
	}
	for i, t := range s.Tolerations {
		tp := p.Child("tolerations").Index(i)
		if t.Operator == corev1.TolerationOpExists && t.Value != "" {
			errs = append(errs, field.Invalid(tp.Child("operator"), t.Value, "value must be empty when operator is Exists"))
		}
		if t.Key == "" && t.Operator != corev1.TolerationOpExists {
			errs = append(errs, field.Invalid(tp.Child("operator"), t.Operator, "operator must be Exists when key is empty"))
		}
	}
	for i, c := range s.TopologySpreadConstraints {
		tp := p.Child("topologySpreadConstraints").Index(i)
		if c.MaxSkew < 1 {
			errs = append(errs, field.Invalid(tp.Child("maxSkew"), c.MaxSkew, "must be >= 1"))
		}
		if c.TopologyKey == "" {
			errs = append(errs, field.Required(tp.Child("topologyKey"), ""))
		}
		if c.WhenUnsatisfiable != corev1.DoNotSchedule && c.WhenUnsatisfiable != corev1.ScheduleAnyway {
			errs = append(errs, field.NotSupported(tp.Child("whenUnsatisfiable"), c.WhenUnsatisfiable, []string{"DoNotSchedule", "ScheduleAnyway"}))
		}
	}
	for k, v := range s.NodeSelector {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p.Child("nodeSelector").Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, field.Invalid(p.Child("nodeSelector").Key(k), v, msg))
		}
	}
	names := map[string]bool{}
	all := append(append([]corev1.Container{}, s.InitContainers...), s.Containers...)
	if len(s.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), "at least one container"))
	}
	for i, c := range all {
		cp := p.Child("containers").Index(i)
		if i < len(s.InitContainers) {
			cp = p.Child("initContainers").Index(i)
		} else {
			cp = p.Child("containers").Index(i - len(s.InitContainers))
		}
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			errs = append(errs, field.Invalid(cp.Child("name"), c.Name, msg))
		}
		if names[c.Name] {
			errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
		}
		names[c.Name] = true
		if c.Image == "" {
			errs = append(errs, field.Required(cp.Child("image"), ""))
		}
		errs = append(errs, container(&c, volumes, cp)...)
	}
	return errs
}

func container(c *corev1.Container, volumes map[string]bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	ports := map[string]bool{}
	for i, port := range c.Ports {
		pp := p.Child("ports").Index(i)
		for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
			errs = append(errs, field.Invalid(pp.Child("containerPort"), port.ContainerPort, msg))
		}
		if port.Name != "" {
			for _, msg := range validation.IsValidPortName(port.Name) {
				errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
			}
			if ports[port.Name] {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			ports[port.Name] = true
		}
	}
	for i, e := range c.Env {
		ep := p.Child("env").Index(i)
		for _, msg := range validation.IsEnvVarName(e.Name) {
			errs = append(errs, field.Invalid(ep.Child("name"), e.Name, msg))
		}
		if e.ValueFrom != nil {
			if e.Value != "" {
				errs = append(errs, field.Invalid(ep.Child("valueFrom"), "", "may not be set when value is not empty"))
			}
			n := 0
			for _, set := range []bool{e.ValueFrom.SecretKeyRef != nil, e.ValueFrom.ConfigMapKeyRef != nil, e.ValueFrom.FieldRef != nil, e.ValueFrom.ResourceFieldRef != nil, e.ValueFrom.FileKeyRef != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				errs = append(errs, field.Invalid(ep.Child("valueFrom"), "", "set exactly one source"))
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil && (r.Name == "" || r.Key == "") {
				errs = append(errs, field.Required(ep.Child("valueFrom", "secretKeyRef"), "name and key"))
			}
		}
	}
	for i, m := range c.VolumeMounts {
		mp := p.Child("volumeMounts").Index(i)
		if !volumes[m.Name] {
			errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
		}
		if len(m.MountPath) == 0 || m.MountPath[0] != '/' {
			errs = append(errs, field.Invalid(mp.Child("mountPath"), m.MountPath, "must be an absolute path"))
		}
	}
	for name, limit := range c.Resources.Limits {
		if req, ok := c.Resources.Requests[name]; ok && req.Cmp(limit) > 0 {
			errs = append(errs, field.Invalid(p.Child("resources", "requests").Key(string(name)), req.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
		}
	}
	if q, ok := c.Resources.Limits["nvidia.com/gpu"]; ok {
		if q.MilliValue()%1000 != 0 {
			errs = append(errs, field.Invalid(p.Child("resources", "limits").Key("nvidia.com/gpu"), q.String(), "must be a whole number"))
		}
		if req, ok := c.Resources.Requests["nvidia.com/gpu"]; ok && req.Cmp(q) != 0 {
			errs = append(errs, field.Invalid(p.Child("resources", "requests").Key("nvidia.com/gpu"), req.String(), "must equal the limit (extended resources are not overcommitted)"))
		}
	}
	for name, probe := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
		if probe == nil {
			continue
		}
		pp := p.Child(name)
		h := probe.ProbeHandler
		n := 0
		for _, set := range []bool{h.Exec != nil, h.HTTPGet != nil, h.TCPSocket != nil, h.GRPC != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, field.Invalid(pp, "", "set exactly one handler"))
		}
		if h.HTTPGet != nil && h.HTTPGet.Port.Type == 1 && !ports[h.HTTPGet.Port.StrVal] {
			errs = append(errs, field.NotFound(pp.Child("httpGet", "port"), h.HTTPGet.Port.StrVal))
		}
		if name == "livenessProbe" && probe.SuccessThreshold > 1 {
			errs = append(errs, field.Invalid(pp.Child("successThreshold"), probe.SuccessThreshold, "must be 1"))
		}
	}
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		h := c.Lifecycle.PreStop
		n := 0
		for _, set := range []bool{h.Exec != nil, h.HTTPGet != nil, h.TCPSocket != nil, h.Sleep != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, field.Invalid(p.Child("lifecycle", "preStop"), "", "set exactly one handler"))
		}
	}
	if sc := c.SecurityContext; sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		errs = append(errs, field.Invalid(p.Child("securityContext", "runAsUser"), 0, "runAsNonRoot forbids user 0"))
	}
	return errs
}
