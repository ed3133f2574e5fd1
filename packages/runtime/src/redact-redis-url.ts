/** `scheme://` or `//` (or nothing: ioredis reads `user:pass@host:port` too), then the userinfo up to the last `@`. */
const USERINFO = /^((?:[a-z][a-z0-9+.-]*:)?\/\/)?([^/?#]*)@/i;

/**
 * A Redis URL fit to print: its password, in the userinfo or a `password=` query item, becomes `***`;
 * a URL without one comes back unchanged.
 *
 *   redactRedisUrl('redis://:pw@10.0.0.5:6379')     // 'redis://:***@10.0.0.5:6379'
 *   redactRedisUrl('rediss://app:pw@cache:6380/2')  // 'rediss://app:***@cache:6380/2'
 */
export function redactRedisUrl(url: string): string {
  return url
    .replace(USERINFO, (whole, head: string | undefined, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return colon === -1 ? whole : `${head ?? ''}${userinfo.slice(0, colon)}:***@`;
    })
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}
