/** One NUMA cell as the capabilities XML describes it. */
export interface CapabilitiesCell {
  id: number;
  /** pCPU ids in this cell. */
  cpus: number[];
  memoryKiB: number;
}

export interface HostCapabilities {
  /** <host><uuid> (absent on the test driver). */
  hostUuid?: string;
  /** <host><cpu><arch>. */
  arch?: string;
  /** <host><topology><cells>; empty when the driver reports no NUMA topology. */
  cells: CapabilitiesCell[];
}

const UNIT_KIB: Record<string, number> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  kb: 1000 / 1024,
  k: 1,
  kib: 1,
  mb: 1e6 / 1024,
  m: 1024,
  mib: 1024,
  gb: 1e9 / 1024,
  g: 1024 * 1024,
  gib: 1024 * 1024,
};

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(['"])(.*?)\\1`).exec(tag);
  return m?.[2];
}

function firstElementText(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml);
  return m?.[1]?.trim();
}

function memoryKiB(cellXml: string): number {
  const m = /<memory(\s[^>]*)?>\s*(\d+)\s*<\/memory>/.exec(cellXml);
  if (!m?.[2]) return 0;
  const unit = (attr(m[1] ?? '', 'unit') ?? 'KiB').toLowerCase();
  return Math.round(Number(m[2]) * (UNIT_KIB[unit] ?? 1));
}

/**
 * Reads the host UUID and NUMA topology from virConnectGetCapabilities XML. A small regex reader:
 * capabilities XML is machine-written, with no CDATA or comments in the parts read here.
 */
export function parseCapabilities(xml: string): HostCapabilities {
  const host = /<host>([\s\S]*?)<\/host>/.exec(xml)?.[1] ?? '';
  const out: HostCapabilities = { cells: [] };
  const hostUuid = firstElementText(host, 'uuid');
  if (hostUuid) out.hostUuid = hostUuid;
  const cpuBlock = /<cpu>([\s\S]*?)<\/cpu>/.exec(host)?.[1];
  const arch = cpuBlock ? firstElementText(cpuBlock, 'arch') : undefined;
  if (arch) out.arch = arch;

  const cellRe = /<cell(\s[^>]*)>([\s\S]*?)<\/cell>/g;
  for (let m = cellRe.exec(host); m; m = cellRe.exec(host)) {
    const id = Number(attr(m[1] ?? '', 'id'));
    const body = m[2] ?? '';
    const cpus: number[] = [];
    const cpuRe = /<cpu(\s[^>]*?)\/?>/g;
    for (let c = cpuRe.exec(body); c; c = cpuRe.exec(body)) {
      const cpuId = attr(c[1] ?? '', 'id');
      if (cpuId !== undefined) cpus.push(Number(cpuId));
    }
    out.cells.push({ id: Number.isFinite(id) ? id : out.cells.length, cpus, memoryKiB: memoryKiB(body) });
  }
  return out;
}
