/**
 * Number keys for the passive tables kept per connection and message id (requests waiting for
 * their answer, SMB1 offers waiting to name a dialect): Map lookups by number are several times
 * cheaper than by a string built per message.
 */
import type { MessageMeta } from './decode.js';

/** Connections numbered below this get number keys: connection × 2^34 + protocol × 2^32 + two 16-bit values stays a safe integer. */
const NUMERIC_CONNECTIONS = 2 ** 19;

export const KEY_NBSS = 0;
export const KEY_SMB1 = 1;
export const KEY_SMB2 = 2;

/** The key of (connection, protocol, a, b) with a and b below 2^16, or undefined when no number fits (the caller builds a string). */
export function numericKey(meta: MessageMeta, protocol: number, a: number, b: number): number | undefined {
  const c = meta.connection;
  if (c === undefined || !Number.isInteger(c) || c < 0 || c >= NUMERIC_CONNECTIONS) return undefined;
  return c * 2 ** 34 + protocol * 2 ** 32 + a * 2 ** 16 + b;
}
