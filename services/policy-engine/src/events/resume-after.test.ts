import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resumeAfter } from './webhook-delivery.js';
import type { Webhook } from './webhook-store.js';

const hook = (afterEventId?: string): Webhook => ({ id: 'w', url: 'http://x', types: ['job'], secret: 's', createdAtMs: 0, createdBy: 't', ...(afterEventId ? { afterEventId } : {}) });

test('the dispatcher resumes after the saved place or the oldest webhook, whichever is later', () => {
  assert.equal(resumeAfter('100-0', [hook('200-0'), hook('150-3')]), '150-3', 'nothing before the oldest webhook concerns any');
  assert.equal(resumeAfter('300-1', [hook('200-0')]), '300-1', 'dispatched up to here already');
  assert.equal(resumeAfter('100-9', [hook('100-10')]), '100-10', 'ids compare as numbers, not text');
  assert.equal(resumeAfter(null, [hook('200-0')]), '200-0', 'no place saved: from the webhook');
  assert.equal(resumeAfter('100-0', [hook('200-0'), hook()]), '100-0', 'a webhook without a creation place: from the saved place');
  assert.equal(resumeAfter(null, [hook()]), undefined, 'neither: from now');
});
