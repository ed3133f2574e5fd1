/**
 * KSM on the lab: memory gained per ksmd CPU-second. Runs the ksm policy's lab scenario (test/e2e's
 * ksm-policy test: four guests write the same S MiB into tmpfs, a host holder pushes free memory under the
 * policy's line, the policy starts and paces ksmd, the holder exits and the policy stops it) and reports
 * what it measured outside Ballast: MiB merged (pages_sharing) per second of ksmd's CPU time (/proc).
 * Needs the lab up (run-bench.sh brings it up) and root (sysfs).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchRow } from './stats.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface KsmFigures {
  sizeMiB: number;
  guests: number;
  mergedMiB: number;
  ksmdCpuSeconds: number;
  mibPerKsmdCpuSecond: number;
  fullScans: number;
  mergeMs: number;
  freeGainMiB: number;
  unmergedMiB: number;
  mode: string;
}

export async function ksmBench(): Promise<BenchRow[]> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ballast-ksm-bench-')), 'figures.json');
  const test = path.join(REPO, 'test/e2e/dist/ksm-policy.test.js');
  const env = { ...process.env, BALLAST_LAB: '1', BALLAST_LAB_URI: process.env.BALLAST_LAB_URI ?? 'qemu:///system', BALLAST_KSM_FIGURES: file };
  try {
    await promisify(execFile)(process.execPath, ['--test', '--test-reporter=dot', test], { cwd: REPO, env, maxBuffer: 16 << 20 });
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`bench ksm: the lab scenario failed: ${out.message}\n${out.stdout ?? ''}${out.stderr ?? ''}`);
  }
  const f = JSON.parse(readFileSync(file, 'utf8')) as KsmFigures;
  const note = `${f.guests} guests × ${f.sizeMiB} MiB the same; merged ${Math.round(f.mergedMiB)} MiB in ${(f.mergeMs / 1000).toFixed(0)} s, ${f.fullScans} full scans, ` +
    `${f.ksmdCpuSeconds.toFixed(1)} ksmd CPU-s; host free +${f.freeGainMiB} MiB after merging (unmerge took back ${f.unmergedMiB} MiB); policy run by the ${f.mode}`;
  console.log(`ksm (lab): ${f.mibPerKsmdCpuSecond.toFixed(1)} MiB per ksmd CPU-second — ${note}`);
  return [{ bench: 'ksm lab merge', variant: 'ksm policy', median: f.mibPerKsmdCpuSecond, unit: 'MiB / ksmd CPU-s', runs: 1, note }];
}
