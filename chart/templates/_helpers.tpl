{{/*
Names, labels and the container's environment. Every environment variable set here is one that
promship's config schema (src/config/schema.ts) declares, or a standard AWS SDK variable; a test
renders the chart and checks both directions.
*/}}

{{- define "promship.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-promship, or just the release name when it already says promship; 63 chars max (DNS label). */}}
{{- define "promship.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "promship.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "promship.labels" -}}
helm.sh/chart: {{ include "promship.chart" . }}
{{ include "promship.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: shipper
{{- end }}

{{/* The immutable subset used by the Deployment's selector, the Service and the policies. */}}
{{- define "promship.selectorLabels" -}}
app.kubernetes.io/name: {{ include "promship.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "promship.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "promship.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "promship.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* `k=v,k2=v2` in key order, as PROMSHIP_EXTERNAL_LABELS and PROMSHIP_PROMETHEUS_HEADERS expect. */}}
{{- define "promship.keyValues" -}}
{{- $pairs := list }}
{{- range $k, $v := . }}
{{- $pairs = append $pairs (printf "%s=%v" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/* The Secret this chart renders holds only what was given inline in the values. */}}
{{- define "promship.secretName" -}}
{{- include "promship.fullname" . }}
{{- end }}

{{- define "promship.inlineObjstore" -}}
{{- if kindIs "string" .Values.bucket.objstoreConfig }}
{{- .Values.bucket.objstoreConfig }}
{{- else if .Values.bucket.objstoreConfig }}
{{- toYaml .Values.bucket.objstoreConfig }}
{{- end }}
{{- end }}

{{- define "promship.inlineCredentials" -}}
{{- with .Values.bucket.credentials }}{{ if or .accessKeyId .secretAccessKey .sessionToken }}true{{ end }}{{ end }}
{{- end }}

{{- define "promship.createSecret" -}}
{{- if or (include "promship.inlineObjstore" .) (include "promship.inlineCredentials" .) .Values.prometheus.headers }}true{{ end }}
{{- end }}

{{/* "true" when the bucket comes from an objstore YAML (inline or in the existing Secret). */}}
{{- define "promship.objstoreFromExistingSecret" -}}
{{- if and .Values.bucket.existingSecret.name .Values.bucket.existingSecret.objstoreConfigKey }}true{{ end }}
{{- end }}

{{- define "promship.existingSecretAwsKeys" -}}
{{- with .Values.bucket.existingSecret }}{{ if and .name (or .accessKeyIdKey .secretAccessKeyKey .sessionTokenKey) }}true{{ end }}{{ end }}
{{- end }}

{{/*
Chart-level checks with messages that name the value to set. promship checks every setting's
format itself at start (exit code 2 with one line naming the variable).
*/}}
{{- define "promship.validate" -}}
{{- $inline := include "promship.inlineObjstore" . }}
{{- $existing := include "promship.objstoreFromExistingSecret" . }}
{{- $missing := list }}
{{- if not .Values.cluster.id }}
{{- $missing = append $missing "cluster.id (this cluster's id, e.g. --set cluster.id=cluster-two; it becomes the cluster_id external label of every block)" }}
{{- end }}
{{- if not .Values.prometheus.url }}
{{- $missing = append $missing "prometheus.url (this cluster's Prometheus, e.g. --set prometheus.url=http://prometheus-server.monitoring.svc:80)" }}
{{- end }}
{{- if not (or .Values.bucket.url $inline $existing) }}
{{- $missing = append $missing "a bucket: bucket.url (e.g. s3://my-thanos-bucket/prefix), bucket.existingSecret.name (e.g. kubecost-thanos, holding object-store.yaml) or bucket.objstoreConfig" }}
{{- end }}
{{- if $missing }}
{{- fail (printf "required values are missing: %s" (join "; " $missing)) }}
{{- end }}
{{- if and $inline $existing }}
{{- fail "set either bucket.objstoreConfig or bucket.existingSecret.name with objstoreConfigKey, not both" }}
{{- end }}
{{- if and .Values.bucket.url (or $inline $existing) }}
{{- fail "set either bucket.url or an objstore config (bucket.objstoreConfig, or bucket.existingSecret with objstoreConfigKey), not both; set bucket.existingSecret.objstoreConfigKey to \"\" if that Secret holds only AWS keys" }}
{{- end }}
{{- if and (include "promship.inlineCredentials" .) (include "promship.existingSecretAwsKeys" .) }}
{{- fail "set either bucket.credentials or the AWS key names in bucket.existingSecret, not both" }}
{{- end }}
{{- with .Values.bucket.credentials }}
{{- if or (and .accessKeyId (not .secretAccessKey)) (and .secretAccessKey (not .accessKeyId)) (and .sessionToken (not .accessKeyId)) }}
{{- fail "bucket.credentials needs both accessKeyId and secretAccessKey (and a sessionToken only with them)" }}
{{- end }}
{{- end }}
{{- with .Values.bucket.existingSecret }}
{{- if or (and .accessKeyIdKey (not .secretAccessKeyKey)) (and .secretAccessKeyKey (not .accessKeyIdKey)) (and .sessionTokenKey (not .accessKeyIdKey)) }}
{{- fail "bucket.existingSecret needs both accessKeyIdKey and secretAccessKeyKey (and a sessionTokenKey only with them)" }}
{{- end }}
{{- if and (not .name) (or .accessKeyIdKey .secretAccessKeyKey .sessionTokenKey) }}
{{- fail "bucket.existingSecret.name is required when its key names are set" }}
{{- end }}
{{- end }}
{{- if and .Values.prometheus.bearerTokenSecret.name .Values.prometheus.bearerTokenFile }}
{{- fail "set either prometheus.bearerTokenSecret.name or prometheus.bearerTokenFile, not both" }}
{{- end }}
{{- if and .Values.prometheus.basicAuth.passwordSecret.name (not .Values.prometheus.basicAuth.username) }}
{{- fail "prometheus.basicAuth.passwordSecret is set but prometheus.basicAuth.username is empty" }}
{{- end }}
{{- end }}

{{/* Where Secrets are mounted; the matching *_FILE variables point here. */}}
{{- define "promship.paths" -}}
objstore: /etc/promship/objstore/object-store.yaml
bearerToken: /etc/promship/prometheus/bearer-token/token
relabel: /etc/promship/relabel/relabel.yaml
password: /etc/promship/prometheus/password/password
ca: /etc/promship/prometheus/ca/ca.crt
cert: /etc/promship/prometheus/client/tls.crt
key: /etc/promship/prometheus/client/tls.key
{{- end }}

{{/* A secretKeyRef env var. */}}
{{- define "promship.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret | quote }}
      key: {{ .key | quote }}
{{- end }}

{{- define "promship.env" -}}
{{- $paths := include "promship.paths" . | fromYaml }}
{{- $secret := include "promship.secretName" . }}
- name: PROMSHIP_CLUSTER_ID
  value: {{ .Values.cluster.id | quote }}
- name: PROMSHIP_CLUSTER_LABEL
  value: {{ .Values.cluster.label | quote }}
{{- with .Values.cluster.externalLabels }}
- name: PROMSHIP_EXTERNAL_LABELS
  value: {{ include "promship.keyValues" . | quote }}
{{- end }}
- name: PROMSHIP_PROMETHEUS_URL
  value: {{ .Values.prometheus.url | quote }}
- name: PROMSHIP_PROMETHEUS_TIMEOUT
  value: {{ .Values.prometheus.timeout | quote }}
{{- if .Values.prometheus.headers }}
{{ include "promship.secretEnv" (dict "env" "PROMSHIP_PROMETHEUS_HEADERS" "secret" $secret "key" "prometheus-headers") }}
{{- end }}
{{- if .Values.prometheus.bearerTokenSecret.name }}
- name: PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE
  value: {{ $paths.bearerToken | quote }}
{{- else if .Values.prometheus.bearerTokenFile }}
- name: PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE
  value: {{ .Values.prometheus.bearerTokenFile | quote }}
{{- end }}
{{- with .Values.prometheus.basicAuth }}
{{- if .username }}
- name: PROMSHIP_PROMETHEUS_USERNAME
  value: {{ .username | quote }}
{{- end }}
{{- if .passwordSecret.name }}
- name: PROMSHIP_PROMETHEUS_PASSWORD_FILE
  value: {{ $paths.password | quote }}
{{- end }}
{{- end }}
{{- with .Values.prometheus.tls }}
{{- if .caSecret.name }}
- name: PROMSHIP_PROMETHEUS_CA_FILE
  value: {{ $paths.ca | quote }}
{{- end }}
{{- if .clientCertSecret.name }}
- name: PROMSHIP_PROMETHEUS_CERT_FILE
  value: {{ $paths.cert | quote }}
- name: PROMSHIP_PROMETHEUS_KEY_FILE
  value: {{ $paths.key | quote }}
{{- end }}
- name: PROMSHIP_PROMETHEUS_INSECURE_SKIP_VERIFY
  value: {{ .insecureSkipVerify | quote }}
{{- end }}
{{ include "promship.bucketEnv" . }}
{{- with .Values.shipping }}
- name: PROMSHIP_SCHEDULE
  value: {{ .schedule | quote }}
- name: PROMSHIP_BLOCK_DURATION
  value: {{ .blockDuration | quote }}
- name: PROMSHIP_SHIP_DELAY
  value: {{ .shipDelay | quote }}
- name: PROMSHIP_MAX_BACKFILL
  value: {{ .maxBackfill | quote }}
- name: PROMSHIP_CLAIM_TIMEOUT
  value: {{ .claimTimeout | quote }}
- name: PROMSHIP_RETRY_BACKOFF
  value: {{ .retryBackoff | quote }}
- name: PROMSHIP_RETRY_BACKOFF_MAX
  value: {{ .retryBackoffMax | quote }}
- name: PROMSHIP_HEALTH_LOG_INTERVAL
  value: {{ .healthLogInterval | quote }}
{{- end }}
- name: PROMSHIP_RELABEL_PRESET
  value: {{ .Values.relabel.preset | quote }}
{{- if include "promship.relabelSource" . }}
- name: PROMSHIP_RELABEL_CONFIG_FILE
  value: {{ $paths.relabel | quote }}
{{- end }}
- name: PROMSHIP_DATA_DIR
  value: {{ .Values.dataVolume.mountPath | quote }}
- name: PROMSHIP_LISTEN_ADDRESS
  value: {{ printf ":%d" (int .Values.metricsPort) | quote }}
- name: PROMSHIP_LOG_LEVEL
  value: {{ .Values.log.level | quote }}
- name: PROMSHIP_LOG_FORMAT
  value: {{ .Values.log.format | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The bucket's settings and credentials: the agent and `promship fleet serve` read the same bucket. */}}
{{- define "promship.bucketEnv" -}}
{{- $paths := include "promship.paths" . | fromYaml }}
{{- $secret := include "promship.secretName" . }}
{{- if .Values.bucket.url }}
- name: PROMSHIP_BUCKET
  value: {{ .Values.bucket.url | quote }}
{{- /* The S3 settings only for an S3 bucket: a gs:// bucket has none. */}}
{{- if hasPrefix "s3://" .Values.bucket.url }}
{{- with .Values.bucket.s3 }}
{{- if .endpoint }}
- name: PROMSHIP_S3_ENDPOINT
  value: {{ .endpoint | quote }}
{{- end }}
{{- if .region }}
- name: PROMSHIP_S3_REGION
  value: {{ .region | quote }}
{{- end }}
- name: PROMSHIP_S3_FORCE_PATH_STYLE
  value: {{ .forcePathStyle | quote }}
- name: PROMSHIP_S3_SSE
  value: {{ .sse | quote }}
{{- if .sseKmsKeyId }}
- name: PROMSHIP_S3_SSE_KMS_KEY_ID
  value: {{ .sseKmsKeyId | quote }}
{{- end }}
- name: PROMSHIP_S3_CHECKSUM_MODE
  value: {{ .checksumMode | quote }}
- name: PROMSHIP_S3_REQUEST_TIMEOUT
  value: {{ .requestTimeout | quote }}
- name: PROMSHIP_S3_MAX_ATTEMPTS
  value: {{ int .maxAttempts | quote }}
{{- end }}
{{- end }}
{{- if .Values.bucket.azure.account }}
- name: PROMSHIP_AZURE_ACCOUNT
  value: {{ .Values.bucket.azure.account | quote }}
{{- end }}
{{- else }}
- name: PROMSHIP_OBJSTORE_CONFIG_FILE
  value: {{ $paths.objstore | quote }}
{{- /* Beside an S3 objstore YAML these still apply where the YAML does not set them; the checksum
   mode has no YAML counterpart at all. Other stores do not read them. */}}
{{- with .Values.bucket.s3 }}
- name: PROMSHIP_S3_CHECKSUM_MODE
  value: {{ .checksumMode | quote }}
- name: PROMSHIP_S3_REQUEST_TIMEOUT
  value: {{ .requestTimeout | quote }}
- name: PROMSHIP_S3_MAX_ATTEMPTS
  value: {{ int .maxAttempts | quote }}
{{- end }}
{{- end }}
{{- if include "promship.inlineCredentials" . }}
{{ include "promship.secretEnv" (dict "env" "AWS_ACCESS_KEY_ID" "secret" $secret "key" "aws-access-key-id") }}
{{ include "promship.secretEnv" (dict "env" "AWS_SECRET_ACCESS_KEY" "secret" $secret "key" "aws-secret-access-key") }}
{{- if .Values.bucket.credentials.sessionToken }}
{{ include "promship.secretEnv" (dict "env" "AWS_SESSION_TOKEN" "secret" $secret "key" "aws-session-token") }}
{{- end }}
{{- end }}
{{- with .Values.bucket.existingSecret }}
{{- if .name }}
{{- if .accessKeyIdKey }}
{{ include "promship.secretEnv" (dict "env" "AWS_ACCESS_KEY_ID" "secret" .name "key" .accessKeyIdKey) }}
{{- end }}
{{- if .secretAccessKeyKey }}
{{ include "promship.secretEnv" (dict "env" "AWS_SECRET_ACCESS_KEY" "secret" .name "key" .secretAccessKeyKey) }}
{{- end }}
{{- if .sessionTokenKey }}
{{ include "promship.secretEnv" (dict "env" "AWS_SESSION_TOKEN" "secret" .name "key" .sessionTokenKey) }}
{{- end }}
{{- if .azureConnectionStringKey }}
{{ include "promship.secretEnv" (dict "env" "AZURE_STORAGE_CONNECTION_STRING" "secret" .name "key" .azureConnectionStringKey) }}
{{- end }}
{{- if .azureStorageKeyKey }}
{{ include "promship.secretEnv" (dict "env" "AZURE_STORAGE_KEY" "secret" .name "key" .azureStorageKeyKey) }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.bucket.azure.workloadIdentity }}
{{- if and .enabled .mountToken }}
# Without the webhook: what it would inject, pointing at the chart's own projected token.
- name: AZURE_CLIENT_ID
  value: {{ .clientId | quote }}
{{- if .tenantId }}
- name: AZURE_TENANT_ID
  value: {{ .tenantId | quote }}
{{- end }}
- name: AZURE_FEDERATED_TOKEN_FILE
  value: "/var/run/secrets/promship/azure/azure-identity-token"
{{- end }}
{{- end }}
{{- end }}

{{/* The fleet view's objects: their own name and selector, so no agent Service or policy selects them. */}}
{{- define "promship.fleet.fullname" -}}
{{- printf "%s-fleet" (include "promship.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "promship.fleet.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-fleet" (include "promship.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "promship.fleet.labels" -}}
helm.sh/chart: {{ include "promship.chart" . }}
{{ include "promship.fleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: fleet
{{- end }}

{{/* `promship fleet serve` needs only the bucket: its environment is the bucket's, the fleet's own settings, and the log. */}}
{{- define "promship.fleet.env" -}}
{{ include "promship.bucketEnv" . }}
- name: PROMSHIP_FLEET_LOOKBACK
  value: {{ .Values.fleet.lookback | quote }}
- name: PROMSHIP_FLEET_MAX_LAG
  value: {{ .Values.fleet.maxLag | quote }}
- name: PROMSHIP_FLEET_REFRESH
  value: {{ .Values.fleet.refresh | quote }}
- name: PROMSHIP_LISTEN_ADDRESS
  value: {{ printf ":%d" (int .Values.metricsPort) | quote }}
- name: PROMSHIP_LOG_LEVEL
  value: {{ .Values.log.level | quote }}
- name: PROMSHIP_LOG_FORMAT
  value: {{ .Values.log.format | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Where the relabel rules come from: "inline", "configMap", "secret", or "" (none). */}}
{{- define "promship.relabelSource" -}}
{{- $r := .Values.relabel -}}
{{- $n := 0 -}}
{{- if $r.rules }}{{ $n = add1 $n }}{{ end -}}
{{- if $r.existingConfigMap.name }}{{ $n = add1 $n }}{{ end -}}
{{- if $r.existingSecret.name }}{{ $n = add1 $n }}{{ end -}}
{{- if gt $n 1 }}{{ fail "set only one of relabel.rules, relabel.existingConfigMap.name and relabel.existingSecret.name" }}{{ end -}}
{{- if $r.rules }}inline{{ else if $r.existingConfigMap.name }}configMap{{ else if $r.existingSecret.name }}secret{{ end -}}
{{- end }}
