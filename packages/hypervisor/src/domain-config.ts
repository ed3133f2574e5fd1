/**
 * Reads what policies need from a libvirt domain XML (virDomainGetXMLDesc): Ballast labels in the
 * domain's <metadata>, memory backing (locked, hugepages), passed-through devices and the balloon device.
 * Labels are set with
 *   virsh metadata <vm> --uri https://ballast.dev/xmlns/labels/1 --key ballast --live --config \
 *     --set '<labels><label name="tier">gold</label></labels>'
 */
import { BALLAST_LABELS_NS, type VmConfig } from '@ballast/domain';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? '';
  });
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Labels from `<pfx:labels xmlns:pfx="NS"><pfx:label name="k">v</pfx:label>…` (or a default namespace). */
export function parseLabels(xml: string, ns = BALLAST_LABELS_NS): Record<string, string> {
  const metadata = /<metadata>([\s\S]*?)<\/metadata>/.exec(xml)?.[1];
  if (!metadata) return {};
  const q = `["']${escapeRe(ns)}["']`;
  let prefix = '';
  let body: string | undefined;
  const prefixed = new RegExp(`<([A-Za-z_][\\w.-]*):labels\\b[^>]*\\bxmlns:\\1=${q}[^>]*>([\\s\\S]*?)</\\1:labels>`).exec(metadata);
  if (prefixed) {
    prefix = `${prefixed[1]}:`;
    body = prefixed[2];
  } else {
    body = new RegExp(`<labels\\b[^>]*\\bxmlns=${q}[^>]*>([\\s\\S]*?)</labels>`).exec(metadata)?.[1];
  }
  if (body === undefined) return {};
  const out: Record<string, string> = {};
  const p = escapeRe(prefix);
  const re = new RegExp(`<${p}label\\s+name=(?:"([^"]*)"|'([^']*)')\\s*(?:/>|>([^<]*)</${p}label>)`, 'g');
  for (const m of body.matchAll(re)) {
    const key = unescapeXml(m[1] ?? m[2] ?? '').trim();
    if (key) out[key] = unescapeXml(m[3] ?? '').trim();
  }
  return out;
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
  };
}
