/**
 * Check ids from a job (or module) and a target: readable (`blackbox-api.example.com-health`), stable
 * across imports of the same files, and within the schema's id rule (lowercase letters, digits, `.`,
 * `_`, `-`, at most 64, starting with a letter or digit). A long id keeps its start and ends in a
 * hash of the whole, so two long targets that share a prefix still get different ids.
 */
const MAX = 64;

/** FNV-1a, 32 bits: a short stable digest, no crypto needed. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/[^a-z0-9._-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[^a-z0-9]+|[-._]+$/g, '');
}

export function checkId(prefix: string, target: string): string {
  const id = [slug(prefix), slug(target)].filter((s) => s !== '').join('-') || 'check';
  if (id.length <= MAX) return id;
  return `${id.slice(0, MAX - 9).replace(/[-._]+$/, '')}-${fnv1a(id)}`;
}

/** Gives each id once: a repeat gets `-2`, `-3`, … (within the length rule). */
export function uniqueIds(): (id: string) => string {
  const taken = new Set<string>();
  return (id) => {
    let candidate = id;
    for (let n = 2; taken.has(candidate); n++) candidate = `${id.slice(0, MAX - String(n).length - 1)}-${n}`;
    taken.add(candidate);
    return candidate;
  };
}
