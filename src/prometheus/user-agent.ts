import { VERSION } from '../version.ts';

/** `promship/<version>`, so Prometheus operators can tell promship's reads apart in their logs. */
export const USER_AGENT = `promship/${VERSION}`;
