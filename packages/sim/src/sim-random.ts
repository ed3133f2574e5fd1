/**
 * Seeded randomness for the simulator. Nothing here reads a clock or Math.random: the same seed gives
 * the same numbers, so a run is reproducible from (seed, scenario).
 */

import { mulberry32 } from '@ballast/domain';

export { mulberry32 };

/** 32-bit FNV-1a hash of a string, finished with a murmur3 mix. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** murmur3 fmix32. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A pure hash of (seed, n) to [0, 1): noise that depends on nothing but its inputs. */
export function hash01(seed: number, n: number): number {
  return mix32(Math.imul(seed >>> 0, 0x9e3779b1) ^ mix32(n | 0)) / 4294967296;
}

/**
 * A version-4-shaped UUID derived from (seed, key): the same key under the same seed always gives the
 * same UUID, whatever else the scenario created before it.
 */
export function deterministicUuid(seed: number, key: string): string {
  const next = mulberry32(hashString(`${seed >>> 0}:${key}`));
  const bytes: number[] = [];
  for (let i = 0; i < 16; i++) bytes.push(Math.floor(next() * 256));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
