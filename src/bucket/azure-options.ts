/**
 * What an Azure bucket needs, from `PROMSHIP_BUCKET=azblob://…` and the Azure SDK's standard
 * environment, without loading the SDK (that happens only in the process that opens the bucket).
 */
import { ConfigError } from '../errors.ts';

export interface AzureBucketOptions {
  container: string;
  /** Blob-name prefix inside the container (Thanos' top-level `prefix`). */
  prefix?: string;
  /** Storage account name; not needed with a connection string (it names the account). */
  account?: string;
  /** `AccountName=…;AccountKey=…;BlobEndpoint=…` (Azurite's development string works). */
  connectionString?: string;
  /** Base64 shared key of the account. */
  accountKey?: string;
  /**
   * The blob service: a full `https://…` URL, or a suffix as in Thanos (`blob.core.windows.net`,
   * `blob.core.chinacloudapi.cn`) that the account name is put in front of.
   */
  endpoint?: string;
  /** Client id of a user-assigned managed identity. */
  userAssignedId?: string;
  /** A service principal (all three or none). */
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Tries per request, the first included. */
  maxTries?: number;
  /** Longest one try may take. */
  tryTimeoutMs?: number;
  /** Size of staged blocks; files up to this size are sent in one Put Blob. */
  blockSizeBytes?: number;
}

interface AzureEnvConfig {
  azureAccount?: string | undefined;
}

/** Options for `azblob://container/prefix`: account from the setting or AZURE_STORAGE_ACCOUNT, credentials from the SDK's env. */
export function azureOptionsFromEnv(
  location: { container: string; prefix: string },
  config: AzureEnvConfig,
  env: NodeJS.ProcessEnv,
): AzureBucketOptions {
  const nonEmpty = (v: string | undefined): string | undefined =>
    v !== undefined && v.trim() !== '' ? v.trim() : undefined;
  const options: AzureBucketOptions = { container: location.container };
  if (location.prefix) options.prefix = location.prefix;
  const connectionString = nonEmpty(env.AZURE_STORAGE_CONNECTION_STRING);
  const account = config.azureAccount ?? nonEmpty(env.AZURE_STORAGE_ACCOUNT);
  if (connectionString !== undefined) {
    options.connectionString = connectionString;
    return options;
  }
  if (account === undefined) {
    throw new ConfigError(
      'PROMSHIP_AZURE_ACCOUNT is not set: an azblob:// bucket needs the storage account (PROMSHIP_AZURE_ACCOUNT or ' +
        'AZURE_STORAGE_ACCOUNT), or AZURE_STORAGE_CONNECTION_STRING',
    );
  }
  options.account = account;
  const key = nonEmpty(env.AZURE_STORAGE_KEY) ?? nonEmpty(env.AZURE_STORAGE_ACCESS_KEY);
  if (key !== undefined) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
      throw new ConfigError('AZURE_STORAGE_KEY is not a base64 account key: copy it again from the storage account');
    }
    options.accountKey = key;
  }
  return options;
}
