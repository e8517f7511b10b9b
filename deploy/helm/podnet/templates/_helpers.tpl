{{/*
Names, labels and the settings every template shares.
Labels follow https://helm.sh/docs/chart_best_practices/labels (helm.sh/chart, app.kubernetes.io/*).
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "podnet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: fullnameOverride, else the release name when it contains the
chart name (release "podnet" → podnet-bot, podnet-worker-main, as the Kustomize overlays name
them), else RELEASE-podnet. Kept to 40 characters so that "-worker-<cluster>" suffixes and
ClusterRole names stay valid.
*/}}
{{- define "podnet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart-version, the helm.sh/chart label. */}}
{{- define "podnet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select a component's pods. Call with (dict "ctx" $ "component" "bot"). */}}
{{- define "podnet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "podnet.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Every object's labels. Call with (dict "ctx" $ "component" "bot"). */}}
{{- define "podnet.labels" -}}
helm.sh/chart: {{ include "podnet.chart" .ctx }}
{{ include "podnet.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: podnet
{{- end }}

{{/* The podnet image. */}}
{{- define "podnet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "podnet.workerServiceAccount" -}}
{{- printf "%s-worker" (include "podnet.fullname" .) }}
{{- end }}

{{- define "podnet.botServiceAccount" -}}
{{- printf "%s-bot" (include "podnet.fullname" .) }}
{{- end }}

{{/* The cluster commands go to when neither they nor their channel name one. */}}
{{- define "podnet.defaultCluster" -}}
{{- $first := first (default (list (dict "name" "default")) .Values.clusters) }}
{{- default $first.name .Values.settings.defaultCluster }}
{{- end }}

{{/*
The Redis settings as environment variables (src/config.ts loadRedisSettings reads them). Only
non-secret values: passwords (and a REDIS_URL with one) come from redis.existingSecret.
*/}}
{{- define "podnet.redisEnv" -}}
{{- $r := .Values.redis }}
{{- if eq $r.mode "internal" }}
REDIS_URL: {{ printf "redis://%s-redis:6379" (include "podnet.fullname" .) | quote }}
{{- else if eq $r.mode "standalone" }}
{{- if $r.url }}
REDIS_URL: {{ $r.url | quote }}
{{- end }}
{{- else }}
{{- if eq $r.mode "sentinel" }}
PODNET_REDIS_SENTINELS: {{ join "," $r.sentinel.nodes | quote }}
PODNET_REDIS_SENTINEL_NAME: {{ $r.sentinel.name | quote }}
{{- if $r.sentinel.username }}
PODNET_REDIS_SENTINEL_USERNAME: {{ $r.sentinel.username | quote }}
{{- end }}
{{- if not (kindIs "invalid" $r.sentinel.tls) }}
PODNET_REDIS_SENTINEL_TLS: {{ $r.sentinel.tls | toString | quote }}
{{- end }}
PODNET_REDIS_DB: {{ $r.sentinel.db | toString | quote }}
{{- else }}
PODNET_REDIS_CLUSTER_NODES: {{ join "," $r.cluster.nodes | quote }}
{{- end }}
{{- if $r.username }}
PODNET_REDIS_USERNAME: {{ $r.username | quote }}
{{- end }}
PODNET_REDIS_TLS: {{ $r.tls | toString | quote }}
{{- end }}
{{- end }}

{{/*
Checks across values that the schema cannot express, each failing with what was wrong and what
would be right.
*/}}
{{- define "podnet.validate" -}}
{{- $r := .Values.redis }}
{{- if and (eq $r.mode "standalone") (not $r.url) (not $r.existingSecret) }}
{{- fail "redis.mode=standalone needs the server: set redis.url (no password, e.g. rediss://user@redis.example.com:6380) or put REDIS_URL in a Secret named by redis.existingSecret" }}
{{- end }}
{{- if and (ne $r.mode "standalone") (ne $r.mode "internal") $r.url }}
{{- fail (printf "redis.url is set but redis.mode=%s; podnet reads REDIS_URL only for one server: unset redis.url (credentials: redis.username and PODNET_REDIS_PASSWORD in redis.existingSecret)" $r.mode) }}
{{- end }}
{{- if and (eq $r.mode "internal") (or $r.url $r.existingSecret) }}
{{- fail "redis.mode=internal runs Redis in this release; redis.url and redis.existingSecret are for an external Redis: set redis.mode=standalone, sentinel or cluster, or unset them" }}
{{- end }}
{{- if and (ne $r.mode "sentinel") $r.sentinel.nodes }}
{{- fail (printf "redis.sentinel.nodes is set but redis.mode=%s; set redis.mode=sentinel to use the sentinels, or unset redis.sentinel.nodes" $r.mode) }}
{{- end }}
{{- if and (ne $r.mode "cluster") $r.cluster.nodes }}
{{- fail (printf "redis.cluster.nodes is set but redis.mode=%s; set redis.mode=cluster to use the Redis Cluster, or unset redis.cluster.nodes" $r.mode) }}
{{- end }}
{{- $names := list }}
{{- range .Values.clusters }}
{{- if has .name $names }}
{{- fail (printf "clusters: %q is listed twice; each cluster has one worker Deployment, give each entry a unique name" .name) }}
{{- end }}
{{- $names = append $names .name }}
{{- end }}
{{- if and .Values.bot.enabled (not .Values.clusters) (not .Values.settings.defaultCluster) }}
{{- fail "bot.enabled=true with no clusters: set settings.defaultCluster to the cluster (served by a worker elsewhere) that commands go to" }}
{{- end }}
{{- end }}

{{/* The pod-level scheduling values shared by every pod. */}}
{{- define "podnet.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Probes of the bot and the worker on the ops port: liveness and startup GET /healthz (does not
depend on Redis), readiness GET /readyz. Call with (dict "readinessPeriod" 5 "readinessFailures" 2).
*/}}
{{- define "podnet.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: ops
  periodSeconds: 20
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: ops
  periodSeconds: {{ .readinessPeriod }}
  timeoutSeconds: 3
  failureThreshold: {{ .readinessFailures }}
startupProbe:
  httpGet:
    path: /healthz
    port: ops
  periodSeconds: 2
  failureThreshold: 30
{{- end }}

{{/* Prometheus scrape annotations and config checksums of a podnet pod. Call with (dict "ctx" $ "bot" true). */}}
{{- define "podnet.podAnnotations" -}}
{{- $ctx := .ctx }}
prometheus.io/scrape: "true"
prometheus.io/port: "9464"
prometheus.io/path: /metrics
# Roll the pods when their settings, policy or runbooks change
# (https://helm.sh/docs/howto/charts_tips_and_tricks/#automatically-roll-deployments).
checksum/settings: {{ include (print $ctx.Template.BasePath "/settings-configmap.yaml") $ctx | sha256sum }}
{{- if .bot }}
checksum/policy: {{ include (print $ctx.Template.BasePath "/policy-configmap.yaml") $ctx | sha256sum }}
{{- end }}
checksum/runbooks: {{ include (print $ctx.Template.BasePath "/runbooks-configmap.yaml") $ctx | sha256sum }}
{{- end }}

{{/*
Egress shared by the bot and the worker: DNS, Redis (its data ports plus any sentinel and
cluster node ports), and HTTPS.
*/}}
{{- define "podnet.redisPorts" -}}
{{- $ports := list }}
{{- range .Values.redis.dataPorts }}{{ $ports = append $ports (int .) }}{{ end }}
{{- $nodes := concat .Values.redis.sentinel.nodes .Values.redis.cluster.nodes }}
{{- if eq .Values.redis.mode "internal" }}{{ $nodes = list }}{{ $ports = list 6379 }}{{ end }}
{{- range $nodes }}{{ $ports = append $ports (int (last (splitList ":" .))) }}{{ end }}
{{- range (uniq $ports) }}
- protocol: TCP
  port: {{ . }}
{{- end }}
{{- end }}
