import express, { type Express } from 'express';
import { apiErrorHandler, apiRoutes, type ApiDeps } from './api-routes.js';
import { dashboardRoutes } from './dashboard.js';
import { YAML_TYPES } from '../policies/policy-routes.js';
import { DEFAULT_BODY_LIMIT_KIB } from './body-checks.js';
import { apiRateLimits, type RateLimitOptions } from './rate-limit.js';

/** What the HTTP layer limits: the /v1 rate limits (none when not given) and the JSON body size. */
export interface HttpLimits {
  rateLimit?: RateLimitOptions;
  bodyLimitKiB?: number;
}

/** The engine's HTTP app: JSON API under /v1, the dashboard at /; ops routes are mounted by the caller. */
export function createApp(deps: ApiDeps & HttpLimits, mountOps?: (app: Express) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  const limits = deps.rateLimit ? apiRateLimits(deps.rateLimit) : [];
  if (limits.length > 0) app.use('/v1', ...limits);
  const bodyLimit = `${deps.bodyLimitKiB ?? DEFAULT_BODY_LIMIT_KIB}kb`;
  app.use(express.json({ limit: bodyLimit }));
  app.use(express.text({ type: YAML_TYPES, limit: bodyLimit }));
  mountOps?.(app);
  app.use('/v1', apiRoutes(deps));
  app.use(dashboardRoutes());
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
  });
  app.use(apiErrorHandler);
  return app;
}
