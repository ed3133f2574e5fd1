import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPins, parseDomainConfig, parseLabels, parsePins } from './domain-config.js';

const NS = 'https://ballast.dev/xmlns/labels/1';

const plain = `<domain type='qemu' id='3'>
  <name>lab-vm1</name>
  <metadata>
    <lab:confighash xmlns:lab="https://ballast.dev/xmlns/lab/1">abc</lab:confighash>
    <ballast:labels xmlns:ballast="${NS}">
      <ballast:label name="tier">gold</ballast:label>
      <ballast:label name='team'>R&amp;D</ballast:label>
      <ballast:label name="empty"/>
    </ballast:labels>
  </metadata>
  <memory unit='KiB'>2097152</memory>
  <devices>
    <disk type='file' device='disk'/>
    <memballoon model='virtio'>
      <stats period='2'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>
    </memballoon>
  </devices>
</domain>`;

test('labels from the Ballast namespace in <metadata>, whatever the prefix; entities decoded', () => {
  assert.deepEqual(parseLabels(plain), { tier: 'gold', team: 'R&D', empty: '' });
  assert.deepEqual(parseLabels(plain.replaceAll('ballast:', 'b:').replace('xmlns:ballast', 'xmlns:b')), { tier: 'gold', team: 'R&D', empty: '' });
  // a default-namespace element
  assert.deepEqual(parseLabels(`<domain><metadata><labels xmlns="${NS}"><label name="a">1</label></labels></metadata></domain>`), { a: '1' });
  // another namespace's labels are not ours
  assert.deepEqual(parseLabels(plain.replace(NS, 'https://example.com/other')), {});
  assert.deepEqual(parseLabels('<domain><name>x</name></domain>'), {});
});

test('a plain virtio-balloon guest: nothing that stops ballooning', () => {
  assert.deepEqual(parseDomainConfig(plain), {
    labels: { tier: 'gold', team: 'R&D', empty: '' },
    memoryLocked: false,
    hugepages: false,
    hostdevCount: 0,
    balloonModel: 'virtio',
    deflateOnOom: false,
    pins: [],
  });
});

test('locked memory, hugepages, passthrough devices, no balloon, deflate-on-oom', () => {
  const x = plain
    .replace('<devices>', `<devices>
    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>
    <interface type='hostdev' managed='yes'><source><address type='pci' bus='0x04'/></source></interface>`)
    .replace('<memory unit', `<memoryBacking>\n    <hugepages>\n      <page size='2048' unit='KiB'/>\n    </hugepages>\n    <locked/>\n  </memoryBacking>\n  <memory unit`);
  const c = parseDomainConfig(x);
  assert.equal(c.memoryLocked, true);
  assert.equal(c.hugepages, true);
  assert.equal(c.hostdevCount, 2);
  assert.equal(parseDomainConfig(plain.replace(/<memballoon[\s\S]*<\/memballoon>/, "<memballoon model='none'/>")).balloonModel, 'none');
  assert.equal(parseDomainConfig(plain.replace(/<memballoon[\s\S]*<\/memballoon>/, '')).balloonModel, '');
  assert.equal(parseDomainConfig(plain.replace("<stats period='2'/>", "<driver deflate_on_oom='on'/>")).deflateOnOom, true);
});

test("pins Ballast recorded in <metadata>, whatever the prefix; malformed entries skipped; other namespaces ignored", () => {
  const xml = `<domain><name>v</name><metadata>
    <other:pins xmlns:other="https://example.com/x"><other:pin vcpu="0" pcpus="9" by="x" at="1"/></other:pins>
    <ballast:pins xmlns:ballast="https://ballast.dev/xmlns/pins/1">
      <ballast:pin vcpu="1" pcpus="2,3" by="policy:vcpu-balance" at="1700000000000"/>
      <ballast:pin vcpu='0' pcpus='1' by='manual' at='5'/>
      <ballast:pin vcpu="x" pcpus="1" by="manual"/>
      <ballast:pin vcpu="2" pcpus="" by="manual"/>
    </ballast:pins></metadata></domain>`;
  assert.deepEqual(parsePins(xml), [
    { vcpu: 0, pcpus: [1], by: 'manual', atMs: 5 },
    { vcpu: 1, pcpus: [2, 3], by: 'policy:vcpu-balance', atMs: 1700000000000 },
  ]);
  assert.deepEqual(parseDomainConfig(xml).pins.length, 2);
  assert.deepEqual(parsePins('<domain><metadata/></domain>'), []);
});

test('formatPins writes what parsePins reads (ordered by vCPU, `by` escaped); a record it would skip throws', () => {
  const records = [
    { vcpu: 2, pcpus: [0, 1], by: 'policy:"x" <&> \'y\'', atMs: 1700000000123 },
    { vcpu: 0, pcpus: [3], by: 'manual', atMs: 5 },
  ];
  const element = formatPins(records);
  assert.equal(element.indexOf('vcpu="0"') < element.indexOf('vcpu="2"'), true);
  assert.doesNotMatch(element, /"x"|<&>/);
  // libvirt stores it under a prefix of its own choosing, in the pins namespace
  const prefixed = element.replace(/<(\/?)(pins?)\b/g, '<$1b:$2').replace('<b:pins>', '<b:pins xmlns:b="https://ballast.dev/xmlns/pins/1">');
  assert.deepEqual(parsePins(`<domain><metadata>${prefixed}</metadata></domain>`), [records[1], records[0]]);
  assert.equal(formatPins([]), '<pins></pins>');
  assert.throws(() => formatPins([{ vcpu: 0, pcpus: [], by: 'manual', atMs: 1 }]), /needs a vCPU id, at least one pCPU id and who set it/);
  assert.throws(() => formatPins([{ vcpu: -1, pcpus: [1], by: 'manual', atMs: 1 }]), RangeError);
  assert.throws(() => formatPins([{ vcpu: 0, pcpus: [1], by: '', atMs: 1 }]), RangeError);
});
