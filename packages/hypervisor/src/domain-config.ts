/**
 * Reads what policies need from a libvirt domain XML (virDomainGetXMLDesc): Ballast labels in the
 * domain's <metadata>, memory backing (locked, hugepages), passed-through devices and the balloon device.
 * Labels are set with
 *   virsh metadata <vm> --uri https://ballast.dev/xmlns/labels/1 --key ballast --live --config \
 *     --set '<labels><label name="tier">gold</label></labels>'
 */
import { BALLAST_LABELS_NS, BALLAST_PINS_NS, type PinRecord, type VmConfig } from '@ballast/domain';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? '';
  });
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${Object.keys(ENTITIES).find((k) => ENTITIES[k] === c)};`);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The body of the metadata element `<pfx:root xmlns:pfx="NS">…</pfx:root>` (or `<root xmlns="NS">`) and the
 * prefix its children carry, or undefined when the domain has none.
 */
function metadataElement(xml: string, root: string, ns: string): { prefix: string; body: string } | undefined {
  const metadata = /<metadata>([\s\S]*?)<\/metadata>/.exec(xml)?.[1];
  if (!metadata) return undefined;
  const q = `["']${escapeRe(ns)}["']`;
  const prefixed = new RegExp(`<([A-Za-z_][\\w.-]*):${root}\\b[^>]*\\bxmlns:\\1=${q}[^>]*>([\\s\\S]*?)</\\1:${root}>`).exec(metadata);
  if (prefixed) return { prefix: `${prefixed[1]}:`, body: prefixed[2] ?? '' };
  const plain = new RegExp(`<${root}\\b[^>]*\\bxmlns=${q}[^>]*>([\\s\\S]*?)</${root}>`).exec(metadata)?.[1];
  return plain === undefined ? undefined : { prefix: '', body: plain };
}

/** Labels from `<pfx:labels xmlns:pfx="NS"><pfx:label name="k">v</pfx:label>…` (or a default namespace). */
export function parseLabels(xml: string, ns = BALLAST_LABELS_NS): Record<string, string> {
  const el = metadataElement(xml, 'labels', ns);
  if (!el) return {};
  const { prefix, body } = el;
  const out: Record<string, string> = {};
  const p = escapeRe(prefix);
  const re = new RegExp(`<${p}label\\s+name=(?:"([^"]*)"|'([^']*)')\\s*(?:/>|>([^<]*)</${p}label>)`, 'g');
  for (const m of body.matchAll(re)) {
    const key = unescapeXml(m[1] ?? m[2] ?? '').trim();
    if (key) out[key] = unescapeXml(m[3] ?? '').trim();
  }
  return out;
}

/** A vCPU id, at least one pCPU id, and who set it: what a pin record needs. */
function isWellFormedPin(r: Pick<PinRecord, 'vcpu' | 'pcpus' | 'by'>): boolean {
  return Number.isInteger(r.vcpu) && r.vcpu >= 0 && r.pcpus.length > 0 && r.pcpus.every((p) => Number.isInteger(p) && p >= 0) && r.by !== '';
}

/**
 * The pins Ballast recorded (PinRecord), from `<pfx:pins xmlns:pfx="BALLAST_PINS_NS"><pfx:pin vcpu="0"
 * pcpus="1,3" by="policy:vcpu-balance" at="1700000000000"/>…`. A malformed entry is skipped.
 */
export function parsePins(xml: string, ns = BALLAST_PINS_NS): PinRecord[] {
  const el = metadataElement(xml, 'pins', ns);
  if (!el) return [];
  const out: PinRecord[] = [];
  for (const m of el.body.matchAll(new RegExp(`<${escapeRe(el.prefix)}pin\\b([^>]*?)/?>`, 'g'))) {
    const attr = (name: string): string | undefined => new RegExp(`\\b${name}=(?:"([^"]*)"|'([^']*)')`).exec(m[1] ?? '')?.slice(1).find((v) => v !== undefined);
    const vcpu = Number(attr('vcpu'));
    const pcpus = (attr('pcpus') ?? '').split(',').filter((x) => x !== '').map(Number);
    const by = unescapeXml(attr('by') ?? '');
    const atMs = Number(attr('at') ?? 0);
    if (!isWellFormedPin({ vcpu, pcpus, by })) continue;
    out.push({ vcpu, pcpus, by, atMs: Number.isFinite(atMs) ? atMs : 0 });
  }
  return out.sort((a, b) => a.vcpu - b.vcpu);
}

/**
 * The `pins` element for PinRecords, ordered by vCPU, as libvirt's setMetadata takes it: without a namespace
 * (libvirt puts it in BALLAST_PINS_NS). parsePins reads it back. A record that parsePins would skip throws.
 */
export function formatPins(records: readonly PinRecord[]): string {
  const pins = [...records]
    .sort((a, b) => a.vcpu - b.vcpu)
    .map((r) => {
      if (!isWellFormedPin(r)) throw new RangeError(`pin record ${JSON.stringify(r)}: needs a vCPU id, at least one pCPU id and who set it`);
      return `<pin vcpu="${r.vcpu}" pcpus="${r.pcpus.join(',')}" by="${escapeXml(r.by)}" at="${Math.round(r.atMs)}"/>`;
    });
  return `<pins>${pins.join('')}</pins>`;
}

export function parseDomainConfig(xml: string): VmConfig {
  const backing = /<memoryBacking>([\s\S]*?)<\/memoryBacking>/.exec(xml)?.[1] ?? '';
  const devices = /<devices>([\s\S]*?)<\/devices>/.exec(xml)?.[1] ?? '';
  const balloon = /<memballoon\b([^>]*?)(?:\/>|>([\s\S]*?)<\/memballoon>)/.exec(devices);
  const model = balloon ? (/\bmodel=["']([^"']*)["']/.exec(balloon[1] ?? '')?.[1] ?? '') : '';
  return {
    labels: parseLabels(xml),
    memoryLocked: /<locked\s*\/>/.test(backing),
    hugepages: /<hugepages\b/.test(backing),
    hostdevCount: (devices.match(/<hostdev\b/g) ?? []).length + (devices.match(/<interface\s+type=["']hostdev["']/g) ?? []).length,
    balloonModel: model,
    deflateOnOom: /<driver\b[^>]*\bdeflate_on_oom=["']on["']/.test(balloon?.[2] ?? ''),
    pins: parsePins(xml),
  };
}
