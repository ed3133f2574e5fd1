/**
 * The dashboard: static files (public/) at `/`, and uPlot from its installed package at `/vendor/`. The
 * page holds no data: every number it shows comes from the /v1 API with the bearer token the operator
 * signs in with (kept in the browser's sessionStorage).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';

/** The folder of the dashboard's own files (services/policy-engine/public). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/** uPlot's dist folder (uPlot.esm.js, uPlot.min.css), wherever npm installed it. */
function uplotDir(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
}

/** Only scripts, styles and calls of this origin; no inline script, no framing. */
const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
  next();
};

/** The dashboard: `/` (index.html, *.js, style.css) and uPlot's dist files under `/vendor/` (uPlot.esm.js, uPlot.min.css). */
export function dashboardRoutes(): Router {
  const r = express.Router();
  r.use(securityHeaders);
  // middleware, not routes: the API's route table (and its OpenAPI check) knows only /v1
  r.use('/vendor', express.static(uplotDir(), { index: false }));
  r.use(express.static(DASHBOARD_DIR, { index: 'index.html', fallthrough: true }));
  return r;
}
