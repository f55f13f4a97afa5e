/**
 * `type: AZURE` of a Thanos objstore YAML, following thanos-io/objstore `providers/azure`: the
 * same keys, the same strict decoding and the same rules (an account or a connection string, a
 * container, one way to authenticate), so a `kubecost-thanos` secret for Azure works unchanged.
 * Settings Thanos knows but promship does not act on are warned about; no value is ever echoed.
 */
import { z } from 'zod';
import type { AzureBucketOptions } from './azure-options.ts';
import {
  bool,
  durationMs,
  fail,
  httpConfigSchema,
  int,
  parseWith,
  str,
  THANOS_HTTP_DEFAULTS,
  type ParsedObjstoreConfig,
} from './objstore-config.ts';

// Built on first use: objstore-config.ts imports this module, so its schema parts are only
// initialised once that module has finished loading.
let schema: ReturnType<typeof buildSchema> | undefined;

function buildSchema() {
  return z.strictObject({
    az_tenant_id: str,
    client_id: str,
    client_secret: str,
    storage_account: str,
    storage_account_key: str,
    storage_connection_string: str,
    storage_create_container: bool,
    container: str,
    endpoint: str,
    user_assigned_id: str,
    max_retries: int,
    reader_config: z.preprocess(
      (v) => (v === null ? undefined : v),
      z.strictObject({ max_retry_requests: int }).optional(),
    ),
    pipeline_config: z.preprocess(
      (v) => (v === null ? undefined : v),
      z
        .strictObject({ max_tries: int, try_timeout: durationMs, retry_delay: durationMs, max_retry_delay: durationMs })
        .optional(),
    ),
    http_config: z.preprocess((v) => (v === null ? undefined : v), httpConfigSchema.optional()),
    msi_resource: str,
  });
}

export function parseAzure(config: unknown, prefix: string, source: string): ParsedObjstoreConfig {
  schema ??= buildSchema();
  const c = parseWith(schema, config ?? {}, 'config', source, 'AZURE');
  const warnings: string[] = [];
  const warn = (key: string, why: string): void => {
    warnings.push(`${source}: config.${key} ${why}`);
  };
  const set = (v: string | undefined): v is string => v !== undefined && v !== '';

  const container = c.container ?? '';
  if (container === '') fail(source, 'config.container is missing; set the blob container name');
  const account = c.storage_account ?? '';
  const connectionString = c.storage_connection_string ?? '';
  if (account === '' && connectionString === '') {
    fail(source, 'config.storage_account is missing; set the storage account name (or storage_connection_string)');
  }
  // Thanos' own consistency rules, in its order, named by key.
  if (set(c.user_assigned_id) && set(c.storage_account_key)) {
    fail(source, 'config.user_assigned_id cannot be set together with config.storage_account_key; keep one');
  }
  if (set(c.user_assigned_id) && set(connectionString)) {
    fail(source, 'config.user_assigned_id cannot be set together with config.storage_connection_string; keep one');
  }
  if (set(c.user_assigned_id) && set(c.client_id)) {
    fail(source, 'config.user_assigned_id cannot be set together with config.client_id; keep one');
  }
  const sp = [c.az_tenant_id, c.client_id, c.client_secret].filter(set).length;
  if (sp !== 0 && sp !== 3)
    fail(source, 'config.az_tenant_id, config.client_id and config.client_secret must be set together');
  if (set(c.storage_account_key) && set(connectionString)) {
    fail(source, 'config.storage_account_key and config.storage_connection_string cannot both be set; keep one');
  }
  if (c.pipeline_config?.max_tries !== undefined && c.pipeline_config.max_tries < 0) {
    fail(source, 'config.pipeline_config.max_tries must be 0 or more');
  }
  if (c.reader_config?.max_retry_requests !== undefined && c.reader_config.max_retry_requests < 0) {
    fail(source, 'config.reader_config.max_retry_requests must be 0 or more');
  }
  const endpoint = (c.endpoint ?? '').trim();
  if (endpoint.includes('/') || endpoint.includes('?')) {
    fail(
      source,
      'config.endpoint must be a host suffix such as blob.core.windows.net, without scheme or path (as in Thanos)',
    );
  }

  const options: AzureBucketOptions = { container };
  if (prefix) options.prefix = prefix;
  if (account !== '') options.account = account;
  if (set(connectionString)) options.connectionString = connectionString;
  if (set(c.storage_account_key)) options.accountKey = c.storage_account_key;
  if (endpoint !== '') options.endpoint = endpoint;
  if (set(c.user_assigned_id)) options.userAssignedId = c.user_assigned_id;
  if (sp === 3) {
    options.tenantId = c.az_tenant_id!;
    options.clientId = c.client_id!;
    options.clientSecret = c.client_secret!;
  }
  // As in Thanos: max_retries fills in pipeline_config.max_tries when that is not set.
  const maxTries =
    c.pipeline_config?.max_tries || (c.max_retries !== undefined && c.max_retries > 0 ? c.max_retries : 0);
  if (maxTries > 0) options.maxTries = maxTries;
  if (c.pipeline_config?.try_timeout !== undefined && c.pipeline_config.try_timeout > 0) {
    options.tryTimeoutMs = c.pipeline_config.try_timeout;
  }
  for (const key of ['retry_delay', 'max_retry_delay'] as const) {
    if (c.pipeline_config?.[key] !== undefined)
      warn(`pipeline_config.${key}`, 'is ignored; promship uses 0.5s growing to 10s');
  }
  if (c.reader_config?.max_retry_requests !== undefined) {
    warn('reader_config.max_retry_requests', 'is ignored; promship retries a broken read 5 times');
  }
  if (set(c.msi_resource)) warn('msi_resource', 'is deprecated in Thanos and ignored');
  if (c.storage_create_container === true) {
    warn('storage_create_container', 'is ignored; promship never creates the container (the primary Thanos or you do)');
  }
  const http = c.http_config;
  if (http !== undefined) {
    for (const [key, value] of Object.entries(http) as [string, unknown][]) {
      if (key === 'tls_config' || value === undefined) continue;
      if (THANOS_HTTP_DEFAULTS[key] === value) continue;
      warn(`http_config.${key}`, 'is not supported and is ignored');
    }
    for (const [key, value] of Object.entries(http.tls_config ?? {}) as [string, unknown][]) {
      if (value === undefined || value === '' || value === false) continue;
      warn(`http_config.tls_config.${key}`, "is not supported and is ignored; the system's CA certificates are used");
    }
  }
  return { bucket: { kind: 'azure', options }, warnings };
}
