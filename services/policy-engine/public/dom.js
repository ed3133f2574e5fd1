// Small DOM helpers: elements are built with text nodes only (no HTML from data).

/** `el('td', {class: 'num'}, '12')`: attributes as strings (or event handlers for on*), children as nodes or text. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

/** Replaces a container's children. */
export function fill(parent, children) {
  parent.replaceChildren(...children);
}

export const fmt = {
  mib: (x) => (x === null || x === undefined ? '–' : x.toFixed(1)),
  pct: (x) => `${x.toFixed(1)} %`,
  time: (iso) => (iso ? new Date(iso).toLocaleTimeString() : '–'),
};
