/** Formats a set of pCPU ids as libvirt prints cpulists: "0-3,6" (sorted, repeats dropped). */
export function formatCpuList(pcpus: readonly number[]): string {
  const ascending = pcpus.every((p, i) => i === 0 || p > (pcpus[i - 1] as number));
  const s = ascending ? pcpus : [...new Set(pcpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const start = s[i] as number;
    let end = start;
    while (i + 1 < s.length && s[i + 1] === end + 1) end = s[++i] as number;
    parts.push(start === end ? `${start}` : `${start}-${end}`);
  }
  return parts.join(',');
}
