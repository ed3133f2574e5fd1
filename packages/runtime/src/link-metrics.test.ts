import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetricsRegistry } from './create-metrics-registry.js';
import { registerLibvirtLinkMetrics } from './link-metrics.js';

function fakeLink() {
  const listeners: ((s: string) => void)[] = [];
  const link = {
    connected: false,
    connects: 0,
    onStateChange: (l: (s: string) => void) => listeners.push(l),
    to(state: 'connected' | 'waiting') {
      link.connected = state === 'connected';
      if (state === 'connected') link.connects++;
      for (const l of listeners) l(state);
    },
  };
  return link;
}

test('ballast_libvirt_connected follows the link; reconnects count the connections after the first', async () => {
  const registry = createMetricsRegistry({ service: 'actuator', hostId: 'h1', processMetrics: false });
  const link = fakeLink();
  registerLibvirtLinkMetrics(registry, link);
  const text = async () => registry.metrics();
  assert.match(await text(), /^ballast_libvirt_connected\{service="actuator",host="h1"\} 0$/m);
  link.to('connected');
  assert.match(await text(), /^ballast_libvirt_connected\{service="actuator",host="h1"\} 1$/m);
  assert.match(await text(), /^ballast_libvirt_reconnects_total\{service="actuator",host="h1"\} 0$/m);
  link.to('waiting');
  link.to('connected');
  link.to('waiting');
  link.to('connected');
  assert.match(await text(), /^ballast_libvirt_reconnects_total\{service="actuator",host="h1"\} 2$/m);
});

test('a link that had already reconnected when registered starts from its count', async () => {
  const registry = createMetricsRegistry({ service: 'collector', processMetrics: false });
  const link = fakeLink();
  link.to('connected');
  link.to('connected');
  registerLibvirtLinkMetrics(registry, link);
  assert.match(await registry.metrics(), /^ballast_libvirt_reconnects_total\{service="collector"\} 1$/m);
});
