{{/* vim: set filetype=mustache: */}}
{{/*
Expand the name of the chart.
*/}}
{{- define "spaceone.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "spaceone.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "spaceone.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Common labels
*/}}
{{- define "spaceone.labels" -}}
helm.sh/chart: {{ include "spaceone.chart" . }}
{{ include "spaceone.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Selector labels
*/}}
{{- define "spaceone.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spaceone.name" . }}
{{- end -}}

{{/*
Create the name of the service account to use
*/}}
{{- define "spaceone.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
    {{ default (include "spaceone.fullname" .) .Values.serviceAccount.name }}
{{- else -}}
    {{ default "default" .Values.serviceAccount.name }}
{{- end -}}
{{- end -}}


{{ define "default-labels" }}
helm.stargate.spaceone.dev/service: {{ .appName }}
author: {{ .Values.installedBy.author }}
{{ end }}

{{ define "TOKEN_INFO" }}
{{ with .Values.supervisor.supervisor.token }}
protocol: {{ .protocol }}
config:
  host: {{ .config.host }}
uri: {{ .uri }}
{{ end }}
{{ end }}
