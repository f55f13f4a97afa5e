/**
 * The Authorization header for each request. Files are read on every request so a rotated token
 * or password (a re-mounted Kubernetes secret) is picked up without a restart.
 */
import { readFile } from 'node:fs/promises';
import { ReadFault } from './errors.ts';

export interface BasicAuth {
  username: string;
  password?: string;
  passwordFile?: string;
}

export interface AuthOptions {
  bearerTokenFile?: string;
  basicAuth?: BasicAuth;
}

export interface Authorization {
  /** The header value, or undefined without authentication. */
  header: string | undefined;
  /** Strings that must never be shown: replaced in anything quoted from the server. */
  secrets: string[];
}

export async function authorization(auth: AuthOptions): Promise<Authorization> {
  if (auth.bearerTokenFile !== undefined) {
    const token = await readSecretFile(auth.bearerTokenFile, 'bearer token');
    return { header: `Bearer ${token}`, secrets: [token] };
  }
  if (auth.basicAuth !== undefined) {
    const { username, passwordFile } = auth.basicAuth;
    const password =
      passwordFile !== undefined
        ? await readSecretFile(passwordFile, 'basic-auth password')
        : (auth.basicAuth.password ?? '');
    const encoded = Buffer.from(`${username}:${password}`).toString('base64');
    return { header: `Basic ${encoded}`, secrets: [password, encoded].filter((s) => s.length > 0) };
  }
  return { header: undefined, secrets: [] };
}

async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ReadFault(
      'PROMSHIP_REMOTE_READ_CREDENTIALS',
      `cannot read the ${what} file ${path} (${typeof code === 'string' ? code : 'read error'}); check that it exists and is readable`,
      { cause: err },
    );
  }
  // Secrets mounted from Kubernetes or written by `echo` often end in a newline.
  const value = text.trim();
  if (value.length === 0) {
    throw new ReadFault(
      'PROMSHIP_REMOTE_READ_CREDENTIALS',
      `the ${what} file ${path} is empty; check the mounted secret`,
    );
  }
  return value;
}
