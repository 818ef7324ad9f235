/**
 * URLs as people may see them: in results, the CLI's output and usage errors, alerts and logs. The one
 * place that decides how a URL is shown, so every renderer hides the same things.
 *
 * Userinfo (`user:password@`) always goes: it is a credential in the URL itself (RFC 3986 §3.2.1
 * deprecates it for exactly that reason). Query values go too where the text travels furthest (alerts
 * to mailboxes and chat), because `?token=` is where the rest of the credentials in URLs hide.
 */

export interface RedactUrlOptions {
  /** Replace every query value with `***`. @default false */
  maskQuery?: boolean;
}

/**
 * `scheme://` then anything up to the last `@` before the path. Greedy, so a password holding a raw `@`
 * or a space is taken whole: over-redacting an odd string is safe, under-redacting it is a leak.
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#\r\n]*@/gi;

export function redactUrl(url: string | URL, opts: RedactUrlOptions = {}): string {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    // Not a URL the parser accepts (a usage error is about to echo it): still never show userinfo.
    return redactUrlsIn(url as string);
  }
  const masked = opts.maskQuery === true && u.search !== '';
  if (u.username === '' && u.password === '' && !masked) return u.href;
  const copy = new URL(u.href);
  copy.username = '';
  copy.password = '';
  if (masked) for (const key of [...new Set(copy.searchParams.keys())]) copy.searchParams.set(key, '***');
  return copy.href;
}

/** Free text (an error message, a usage line) with the userinfo of every URL in it removed. */
export function redactUrlsIn(text: string): string {
  return text.includes('@') ? text.replace(USERINFO, '$1') : text;
}
