{{/* Release-scoped name, at most 40 characters so "<name>-<namespace>" stays a DNS label. */}}
{{- define "beamline.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of one namespace's worker objects; call with (dict "root" $ "ns" $ns). */}}
{{- define "beamline.workerName" -}}
{{- printf "%s-%s" (include "beamline.fullname" .root) .ns.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries besides its selector labels (beamline.selectorLabels or beamline.instanceLabels). */}}
{{- define "beamline.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: beamline
beamline.dev/tenant: {{ .Values.tenant | quote }}
{{- end -}}

{{- define "beamline.instanceLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector of one namespace's worker pods; call with (dict "root" $ "ns" $ns). */}}
{{- define "beamline.selectorLabels" -}}
{{ include "beamline.instanceLabels" .root }}
app.kubernetes.io/component: worker
beamline.dev/namespace: {{ .ns.name | quote }}
{{- end -}}

{{- define "beamline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "beamline.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "beamline.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* KEDA renders when enabled and the cluster serves its API (helm template: --api-versions keda.sh/v1alpha1). */}}
{{- define "beamline.kedaActive" -}}
{{- if and .Values.autoscaling.keda.enabled (.Capabilities.APIVersions.Has "keda.sh/v1alpha1") -}}true{{- end -}}
{{- end -}}

{{/*
The worker file for one namespace: the shared worker.file, the namespace's overrides, then the
fields the chart owns (the pod must bind the probes' port on all addresses; the grace period is
derived from the drain deadline).
*/}}
{{- define "beamline.workerFile" -}}
{{- $file := mergeOverwrite (deepCopy .root.Values.worker.file) (deepCopy (default dict .ns.workerFile)) -}}
{{- $_ := set $file "httpHost" "0.0.0.0" -}}
{{- $_ := set $file "httpPort" (int .root.Values.worker.httpPort) -}}
{{- $_ := set $file "drainDeadlineMs" (mul (int .root.Values.worker.drainDeadlineSeconds) 1000) -}}
{{- if .root.Values.inference.gpu -}}{{- $_ := set $file "gpu" true -}}{{- end -}}
{{- toYaml $file -}}
{{- end -}}

{{/* Fails the render when a minimum exceeds its maximum, naming both keys; and on two key sources. */}}
{{- define "beamline.checkReplicaBounds" -}}
{{- if and .Values.keysSecret.name .Values.piiKeySecret.name -}}
{{- fail (printf "keysSecret.name (%s) and piiKeySecret.name (%s) are both set: a worker refuses two key sources; keep keysSecret (versioned keys) and clear piiKeySecret.name" .Values.keysSecret.name .Values.piiKeySecret.name) -}}
{{- end -}}
{{- $k := .Values.autoscaling.keda -}}
{{- $h := .Values.autoscaling.hpa -}}
{{- if gt (int $k.minReplicaCount) (int $k.maxReplicaCount) -}}
{{- fail (printf "autoscaling.keda.minReplicaCount is %v, above autoscaling.keda.maxReplicaCount %v: raise the maximum or lower the minimum" $k.minReplicaCount $k.maxReplicaCount) -}}
{{- end -}}
{{- if gt (int $h.minReplicas) (int $h.maxReplicas) -}}
{{- fail (printf "autoscaling.hpa.minReplicas is %v, above autoscaling.hpa.maxReplicas %v: raise the maximum or lower the minimum" $h.minReplicas $h.maxReplicas) -}}
{{- end -}}
{{- end -}}
