import express, { type Express } from 'express';
import { apiErrorHandler, apiRoutes, type ApiDeps } from './api-routes.js';
import { dashboardRoutes } from './dashboard.js';

/** The engine's HTTP app: JSON API under /v1, the dashboard at /; ops routes are mounted by the caller. */
export function createApp(deps: ApiDeps, mountOps?: (app: Express) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb' }));
  mountOps?.(app);
  app.use('/v1', apiRoutes(deps));
  app.use(dashboardRoutes());
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
  });
  app.use(apiErrorHandler);
  return app;
}
