import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fairShares } from './fair-share.js';

const close = (a: number[], b: number[]): void => {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - (b[i] as number)) < 1e-3, `${JSON.stringify(a)} ≉ ${JSON.stringify(b)}`));
};

test('enough for everyone: every amount in full', () => {
  close(fairShares([{ sizeMiB: 500, weight: 10, amountMiB: 100 }, { sizeMiB: 700, weight: 10, amountMiB: 50 }], 1000), [100, 50]);
});

test('nothing to give: zeros', () => {
  close(fairShares([{ sizeMiB: 500, weight: 10, amountMiB: 100 }], 0), [0]);
  close(fairShares([{ sizeMiB: 500, weight: 10, amountMiB: 100 }], -5), [0]);
});

test('equal weights: the smallest grows first, then all together (equal final sizes)', () => {
  // sizes 700, 760, 768: 100 MiB to share → the 700 gets 60 to reach 760, then the two split 40 to 780,
  // the 768 joins at 768 … final level L: (L−700) + (L−760) + (L−768) = 100 → L = 776
  const x = fairShares(
    [
      { sizeMiB: 700, weight: 10, amountMiB: 200 },
      { sizeMiB: 760, weight: 10, amountMiB: 200 },
      { sizeMiB: 768, weight: 10, amountMiB: 200 },
    ],
    100,
  );
  close(x, [76, 16, 8]);
});

test('an amount caps a claimant; the rest goes to the others', () => {
  close(
    fairShares(
      [
        { sizeMiB: 500, weight: 10, amountMiB: 10 },
        { sizeMiB: 500, weight: 10, amountMiB: 200 },
      ],
      100,
    ),
    [10, 90],
  );
});

test('weights: twice the shares ends at twice the size under contention', () => {
  const x = fairShares(
    [
      { sizeMiB: 400, weight: 20, amountMiB: 1000 },
      { sizeMiB: 400, weight: 10, amountMiB: 1000 },
    ],
    400,
  );
  // L·20 − 400 + L·10 − 400 = 400 → L = 40: sizes 800 and 400
  close(x, [400, 0]);
  const y = fairShares(
    [
      { sizeMiB: 400, weight: 20, amountMiB: 1000 },
      { sizeMiB: 400, weight: 10, amountMiB: 1000 },
    ],
    700,
  );
  // 30L − 800 = 700 → L = 50: sizes 1000 and 500
  close(y, [600, 100]);
});

test('Σ parts never above the total; parts within [0, amount]', () => {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let k = 0; k < 500; k++) {
    const n = 1 + Math.floor(rnd() * 8);
    const claims = Array.from({ length: n }, () => ({ sizeMiB: 200 + rnd() * 2000, weight: [5, 10, 20][Math.floor(rnd() * 3)] as number, amountMiB: rnd() * 400 }));
    const total = rnd() * 1200;
    const x = fairShares(claims, total);
    const sum = x.reduce((s, v) => s + v, 0);
    assert.ok(sum <= total + 1e-6, `Σ ${sum} > ${total}`);
    x.forEach((v, i) => assert.ok(v >= 0 && v <= (claims[i]?.amountMiB ?? 0) + 1e-9));
    const want = claims.reduce((s, c) => s + c.amountMiB, 0);
    assert.ok(sum >= Math.min(total, want) - 1e-3, `Σ ${sum} leaves memory unused (total ${total}, wanted ${want})`);
  }
});

test('negative sizes (headroom below zero) are raised first', () => {
  close(
    fairShares(
      [
        { sizeMiB: -20, weight: 1, amountMiB: 200 },
        { sizeMiB: 60, weight: 1, amountMiB: 200 },
      ],
      100,
    ),
    [90, 10],
  );
});
