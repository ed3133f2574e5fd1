// The dashboard's only way to the engine: /v1 calls with the bearer token kept in sessionStorage.
const KEY = 'ballast.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An API answer that was not 2xx: its status and the API's error message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET (or POST with a JSON body) a /v1 path; resolves to the JSON answer, rejects with ApiError. */
export async function api(path, { method = 'GET', body, bearer = token.get() } = {}) {
  const headers = { authorization: `Bearer ${bearer ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, json.error?.message ?? `HTTP ${r.status}`);
  return json;
}
