/** The webhook API (admin): create (the secret is shown once), list (never with secrets), delete. */
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import { defineRoute, type Route } from '../http/route-table.js';
import { EVENT_TYPES } from './event-types.js';
import { webhookJson, type WebhookStore } from './webhook-store.js';

const httpUrl = z
  .string()
  .max(2000)
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: 'must be an http:// or https:// URL' },
  );

export const webhookBody = z.strictObject({
  url: httpUrl.describe('Where each event is POSTed (http or https).'),
  types: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length).optional().describe('The event types it gets; every type when absent.'),
  secret: z.string().min(16, 'must be at least 16 characters').max(256).optional().describe('Keys the HMAC signature; generated (and shown once) when absent.'),
});

export function webhookRoutes(store: WebhookStore, o: { attempts: number }): Route[] {
  const params = z.object({ id: z.string().min(1).describe('The webhook id.') });
  return [
    defineRoute({
      method: 'post', path: '/webhooks', operationId: 'createWebhook', tag: 'events', role: 'admin',
      summary: `Subscribes a URL to events: each is POSTed as signed JSON, retried with backoff up to ${o.attempts} attempts (docs/events.md)`,
      body: webhookBody,
      responses: { 201: '`{id, url, types, createdAt, createdBy, secret}`: the secret is shown this once' },
      handle: async ({ body, principal }, res) => {
        const hook = await store.create({ url: body.url, types: [...new Set(body.types ?? EVENT_TYPES)], ...(body.secret !== undefined ? { secret: body.secret } : {}) }, principal.tokenId);
        res.status(201).json({ ...webhookJson(hook), secret: hook.secret });
      },
    }),
    defineRoute({
      method: 'get', path: '/webhooks', operationId: 'listWebhooks', tag: 'events', role: 'admin', summary: 'The webhooks (without their secrets)',
      responses: { 200: '`{webhooks: [{id, url, types, createdAt, createdBy}]}`' },
      handle: async (_i, res) => res.json({ webhooks: (await store.list()).map(webhookJson) }),
    }),
    defineRoute({
      method: 'delete', path: '/webhooks/:id', operationId: 'deleteWebhook', tag: 'events', role: 'admin', summary: 'Deletes a webhook: deliveries still queued for it are dropped',
      params,
      responses: { 200: '`{id, deleted: true}`', 404: 'No such webhook' },
      handle: async ({ params: { id } }, res) => {
        if (!(await store.delete(id))) throw new ApiError(404, 'webhook_not_found', `id: no webhook "${id}"`, 'id');
        res.json({ id, deleted: true });
      },
    }),
  ];
}
