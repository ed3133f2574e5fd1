/** Helpers for this package's tests (not exported from index.ts). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs virsh against `uri` and returns its stdout (throws on a non-zero exit). */
export function virsh(uri: string, ...args: string[]): string {
  return execFileSync('virsh', ['-c', uri, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** "Key:   value" lines → map (dominfo, nodeinfo, vcpuinfo blocks). */
export function virshFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^:]+?):\s+(.*?)\s*$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out.set(m[1].trim(), m[2]);
  }
  return out;
}

/** "key=value" lines of `virsh domstats` grouped by domain name. */
export function virshDomstats(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    const dom = /^Domain: '(.*)'$/.exec(line.trim());
    if (dom?.[1] !== undefined) {
      current = new Map();
      out.set(dom[1], current);
      continue;
    }
    const kv = /^\s+([^=]+)=(.*)$/.exec(line);
    if (kv?.[1] && kv[2] !== undefined && current) current.set(kv[1], kv[2]);
  }
  return out;
}

/** Expands a virsh CPU list such as "0-3,6" into ids. */
export function cpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

export interface TestDomain {
  name: string;
  uuid: string;
  vcpus: number;
  memoryKiB: number;
  currentMemoryKiB: number;
  running: boolean;
}

export interface TestNode {
  uri: string;
  path: string;
  domains: TestDomain[];
  cleanup(): void;
}

/** UUID of the i-th generated domain. */
export function testUuid(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/**
 * Writes a test-driver node with `count` domains (every 5th shut off via <test:runstate>) and
 * returns its test:///<path> URI. Each process opening the URI gets its own fresh copy.
 */
export function writeTestNode(count: number): TestNode {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-libvirt-'));
  const path = join(dir, 'node.xml');
  const domains: TestDomain[] = [];
  const parts = [
    "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>",
    '  <cpu><mhz>2400</mhz><model>ballast-test</model><active>4</active><nodes>1</nodes>' +
      '<sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>',
    '  <memory>16777216</memory>',
  ];
  for (let i = 0; i < count; i++) {
    const d: TestDomain = {
      name: `vm-${String(i).padStart(3, '0')}`,
      uuid: testUuid(i),
      vcpus: 1 + (i % 2),
      memoryKiB: 524288,
      currentMemoryKiB: 262144 + (i % 8) * 32768,
      running: i % 5 !== 4,
    };
    domains.push(d);
    parts.push(
      `  <domain type='test'><name>${d.name}</name><uuid>${d.uuid}</uuid>` +
        `<memory>${d.memoryKiB}</memory><currentMemory>${d.currentMemoryKiB}</currentMemory>` +
        `<vcpu>${d.vcpus}</vcpu><os><type>hvm</type></os>` +
        (d.running ? '' : '<test:runstate>5</test:runstate>') +
        '</domain>',
    );
  }
  parts.push('</node>');
  writeFileSync(path, parts.join('\n'));
  return { uri: `test://${path}`, path, domains, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A minimal test-driver domain definition. */
export function domainXml(name: string, uuid: string, memoryKiB = 262144): string {
  return (
    `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid><memory>${memoryKiB}</memory>` +
    `<vcpu>1</vcpu><os><type>hvm</type></os></domain>`
  );
}
