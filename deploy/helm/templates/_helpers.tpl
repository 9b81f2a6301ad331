{{/* The namespace: the umbrella's global.namespace, else the release's (as SpaceONE's charts). */}}
{{- define "jobtask.namespace" -}}
{{- .Values.global.namespace | default .Release.Namespace -}}
{{- end -}}

{{- define "jobtask.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: spaceone
spaceone.service: {{ .Values.name }}
{{- end -}}

{{/* What the Service, the PodDisruptionBudget and the spread select (SpaceONE's label). */}}
{{- define "jobtask.selectorLabels" -}}
spaceone.service: {{ .Values.name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "jobtask.image" -}}
{{ .Values.image.name }}:{{ .Values.image.version | default .Chart.AppVersion }}
{{- end -}}

{{/* Where SpaceONE's files are mounted, as SpaceONE's inventory chart mounts its own. */}}
{{- define "jobtask.configDir" -}}
/opt/spaceone/{{ .Values.name }}/config
{{- end -}}

{{/* The checks every render makes: a grace longer than the server's, no secret in a ConfigMap. */}}
{{- define "jobtask.validate" -}}
{{- if le (float64 .Values.gracePeriod) (float64 .Values.shutdownGraceSeconds) -}}
{{- fail (printf "gracePeriod (%v) must be longer than shutdownGraceSeconds (%v): Kubernetes would kill calls the server is still finishing" .Values.gracePeriod .Values.shutdownGraceSeconds) -}}
{{- end -}}
{{- if not (has (int .Values.spaceone_api) (list 1 2)) -}}
{{- fail (printf "spaceone_api must be 1 or 2, not %v" .Values.spaceone_api) -}}
{{- end -}}
{{- $db := dig "DATABASES" "default" dict (.Values.database | default dict) -}}
{{- $app := dig "DATABASES" "default" dict (.Values.application_grpc | default dict) -}}
{{- if or (hasKey $db "password") (hasKey $app "password") (hasKey (.Values.application_grpc | default dict) "TOKEN") -}}
{{- fail "a password or TOKEN in database/application_grpc would land in a ConfigMap: put it in the Secret named by secret.name (keys MONGODB_URI, SPACEONE_TOKEN)" -}}
{{- end -}}
{{- range $key, $_ := .Values.env -}}
{{- if has $key (list "MONGODB_URI" "SPACEONE_TOKEN" "INDEX_MANAGEMENT" "SPACEONE_CONFIG_FILE" "SPACEONE_API" "SHUTDOWN_GRACE_SECONDS") -}}
{{- fail (printf "env.%s is set by the chart (secret.keys, spaceone_api, shutdownGraceSeconds, indexJob)" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The environment of the server and of the index Job (INDEX_MANAGEMENT comes after it). */}}
{{- define "jobtask.env" -}}
- name: SPACEONE_API
  value: {{ .Values.spaceone_api | quote }}
{{- if .Values.spaceoneConfig.enabled }}
- name: SPACEONE_CONFIG_FILE
  value: {{ include "jobtask.configDir" . }}/config.yaml
{{- end }}
- name: SHUTDOWN_GRACE_SECONDS
  value: {{ .Values.shutdownGraceSeconds | quote }}
- name: GRPC_PORT
  value: {{ .Values.ports.grpc | quote }}
- name: HTTP_PORT
  value: {{ .Values.ports.http | quote }}
- name: METRICS_PORT
  value: {{ if .Values.metrics.enabled }}{{ .Values.ports.metrics | quote }}{{ else }}"0"{{ end }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- if .Values.secret.name }}
{{- range $name, $key := .Values.secret.keys }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.secret.name }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- end }}
{{- with .Values.global.common_env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* SpaceONE's files: config.yaml, database.yaml, the umbrella's shared.yaml, application.yaml. */}}
{{- define "jobtask.configVolumeMounts" -}}
{{- if .Values.spaceoneConfig.enabled }}
- name: default-conf
  mountPath: {{ include "jobtask.configDir" . }}/config.yaml
  subPath: config.yaml
  readOnly: true
- name: database-conf
  mountPath: {{ include "jobtask.configDir" . }}/database.yaml
  subPath: database.yaml
  readOnly: true
{{- if .Values.spaceoneConfig.sharedConfigMap }}
- name: shared-conf
  mountPath: {{ include "jobtask.configDir" . }}/shared.yaml
  subPath: shared.yaml
  readOnly: true
{{- end }}
- name: application-conf
  mountPath: {{ include "jobtask.configDir" . }}/application.yaml
  subPath: application.yaml
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "jobtask.configVolumes" -}}
{{- if .Values.spaceoneConfig.enabled }}
- name: default-conf
  configMap:
    name: {{ .Values.name }}-conf
- name: database-conf
  configMap:
    name: {{ .Values.name }}-database-conf
{{- if .Values.spaceoneConfig.sharedConfigMap }}
- name: shared-conf
  configMap:
    name: {{ .Values.spaceoneConfig.sharedConfigMap }}
{{- end }}
- name: application-conf
  configMap:
    name: {{ .Values.name }}-application-grpc-conf
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "jobtask.podSecurity" -}}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .Values.global.serviceAccountName }}
serviceAccountName: {{ .Values.global.serviceAccountName }}
{{- end }}
{{- end -}}
