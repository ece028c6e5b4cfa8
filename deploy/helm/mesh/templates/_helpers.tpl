{{/*
Names, labels, images and the environment every Mesh container shares.
*/}}

{{- define "mesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mesh.fullname" -}}
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

{{- define "mesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "mesh.labels" -}}
helm.sh/chart: {{ include "mesh.chart" . }}
{{ include "mesh.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mesh
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "mesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "supervisor" ["domain" "gpu"]). */}}
{{- define "mesh.componentSelectorLabels" -}}
{{ include "mesh.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .domain }}
mesh/domain: {{ . }}
{{- end }}
{{- end -}}

{{- define "mesh.componentLabels" -}}
{{ include "mesh.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .domain }}
mesh/domain: {{ . }}
{{- end }}
{{- end -}}

{{- define "mesh.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mesh.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* An image reference: (dict "root" $ "image" .Values.supervisor.image); the tag defaults to appVersion. */}}
{{- define "mesh.image" -}}
{{- printf "%s:%s" .image.repository (toString (.image.tag | default .root.Chart.AppVersion)) -}}
{{- end -}}

{{/* The stream a domain's runners read: MESH_STREAM_PREFIX:assignments:<domain> (libs/mesh-protocol keys.ts). */}}
{{- define "mesh.assignmentsStream" -}}
{{- printf "%s:assignments:%s" .root.Values.mesh.streamPrefix .domain -}}
{{- end -}}

{{/* The Secret holding the Redis password, and its key ("" when Redis has no password). */}}
{{- define "mesh.redisSecretName" -}}
{{- if .Values.redis.existingSecret -}}
{{- .Values.redis.existingSecret -}}
{{- else if .Values.redis.password -}}
{{- printf "%s-redis" (include "mesh.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "mesh.redisSecretKey" -}}
{{- if .Values.redis.existingSecret -}}
{{- .Values.redis.existingSecretPasswordKey -}}
{{- else -}}
redis-password
{{- end -}}
{{- end -}}

{{- define "mesh.apiSecretName" -}}
{{- default (printf "%s-api" (include "mesh.fullname" .)) .Values.api.existingSecret -}}
{{- end -}}

{{/*
The parts of redis.url: scheme, host:port and database index. With redis.clusterNodes, REDIS_URL still
carries the scheme (TLS or not) and the user, but its host is not dialled and its database must be 0.
*/}}
{{- define "mesh.redisUrlParts" -}}
{{- $u := urlParse .Values.redis.url -}}
{{- if $u.userinfo -}}
{{- fail "redis.url must not carry a user or password: set redis.username and redis.password or redis.existingSecret" -}}
{{- end -}}
{{- $db := trimPrefix "/" $u.path -}}
{{- if and .Values.redis.clusterNodes $db (ne $db "0") -}}
{{- fail (printf "redis.url: database %s with redis.clusterNodes: a Redis Cluster has only database 0, so the services would refuse to start; drop the /%s from redis.url or use /0" $db $db) -}}
{{- end -}}
{{- include "mesh.checkRedisEnv" . -}}
{{- dict "scheme" $u.scheme "host" $u.host "db" $db | toJson -}}
{{- end -}}

{{/* redis.clusterNodes as REDIS_CLUSTER_NODES and KEDA's addresses: host:port,host:port ("" without a cluster). */}}
{{- define "mesh.redisClusterNodes" -}}
{{- join "," (.Values.redis.clusterNodes | default list) -}}
{{- end -}}

{{/*
REDIS_CLUSTER_NODES and MESH_PARTITIONS come from redis.* only: every service must see the same values
(they refuse to start on differing MESH_PARTITIONS), so a service's env or extraEnv must not set them.
*/}}
{{- define "mesh.checkRedisEnv" -}}
{{- $sources := list (list "orchestrator" .Values.orchestrator) (list "supervisor" .Values.supervisor) (list "runners" .Values.runners) -}}
{{- range $i, $d := .Values.runners.domains -}}
{{- $sources = append $sources (list (printf "runners.domains[%d]" $i) $d) -}}
{{- end -}}
{{- range $s := $sources -}}
{{- $where := index $s 0 -}}
{{- $names := keys ((index $s 1).env | default dict) -}}
{{- range ((index $s 1).extraEnv | default list) }}{{ $names = append $names (toString .name) }}{{ end -}}
{{- range $name := list "REDIS_CLUSTER_NODES" "MESH_PARTITIONS" -}}
{{- if has $name $names -}}
{{- fail (printf "%s: %s is set from redis.clusterNodes and redis.partitions, the same for every service; remove it from %s.env and %s.extraEnv" $where $name $where $where) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Environment of every Mesh container: the Redis connection (REDIS_URL from redis.url and redis.username,
never with a password; REDIS_PASSWORD from the Secret, which the services take as it is, so it needs no
URL-encoding; REDIS_CLUSTER_NODES from redis.clusterNodes; MESH_PARTITIONS from redis.partitions),
MESH_STREAM_PREFIX and LOG_LEVEL.
*/}}
{{- define "mesh.commonEnv" -}}
{{- $u := include "mesh.redisUrlParts" . | fromJson -}}
{{- $secret := include "mesh.redisSecretName" . -}}
{{- $path := "" -}}
{{- if $u.db }}{{ $path = printf "/%s" $u.db }}{{ end -}}
{{- if $secret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ include "mesh.redisSecretKey" . }}
{{- end }}
{{- if .Values.redis.username }}
- name: REDIS_URL
  value: {{ printf "%s://%s@%s%s" $u.scheme .Values.redis.username $u.host $path | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ .Values.redis.url | quote }}
{{- end }}
{{- with include "mesh.redisClusterNodes" . }}
- name: REDIS_CLUSTER_NODES
  value: {{ . | quote }}
{{- end }}
{{- if not (kindIs "invalid" .Values.redis.partitions) }}
- name: MESH_PARTITIONS
  value: {{ int .Values.redis.partitions | toString | quote }}
{{- end }}
- name: MESH_STREAM_PREFIX
  value: {{ .Values.mesh.streamPrefix | quote }}
- name: LOG_LEVEL
  value: {{ .Values.mesh.logLevel | quote }}
{{- end -}}

{{/* Settings given as NAME: value, then EnvVar objects: (dict "env" $env "extraEnv" $extra). */}}
{{- define "mesh.extraEnv" -}}
{{- range $name, $value := .env }}
- name: {{ $name }}
  value: {{ toString $value | quote }}
{{- end }}
{{- with .extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* terminationGracePeriodSeconds: the given one (checked to exceed the drain grace) or grace + margin. */}}
{{- define "mesh.terminationGrace" -}}
{{- $grace := int .grace -}}
{{- if not (kindIs "invalid" .given) -}}
{{- if le (int .given) $grace -}}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must be above the drain grace of %d s" .what (int .given) $grace) -}}
{{- end -}}
{{- int .given -}}
{{- else -}}
{{- add $grace .margin -}}
{{- end -}}
{{- end -}}

{{/* Probes on the service's own port: /healthz (liveness, never Redis) and /readyz (Redis answers, not draining). */}}
{{- define "mesh.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /readyz, port: http }
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* Pod-level settings every Mesh pod shares. */}}
{{- define "mesh.podCommon" -}}
serviceAccountName: {{ include "mesh.serviceAccountName" . }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
