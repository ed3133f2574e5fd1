import type { KsmArgs, KsmKnobs } from './args.js';

export type HostKnobs = { managed: true; knobs: KsmKnobs } | { managed: false; reason: string; knobs: KsmKnobs };

/** The knobs of one host (`host`, then its `overrides`), and whether the policy manages it at all. */
export function knobsForHost(args: KsmArgs, hostId: string): HostKnobs {
  const knobs: KsmKnobs = { ...args.host };
  for (const [k, v] of Object.entries(args.overrides[hostId] ?? {})) {
    if (v !== undefined) (knobs as unknown as Record<string, unknown>)[k] = v;
  }
  if (args.hosts !== null && !args.hosts.includes(hostId)) {
    return { managed: false, knobs, reason: `not in the policy's hosts (${args.hosts.join(', ')}): ksmd is left alone` };
  }
  if (knobs.automation === 'off') return { managed: false, knobs, reason: 'automation is off for this host: ksmd is left alone' };
  return { managed: true, knobs };
}
