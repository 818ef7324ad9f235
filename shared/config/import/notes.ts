/**
 * What the import did with each exporter option that has no exact Vantage equivalent. Every such
 * option becomes one note, so nothing is dropped silently: the command prints them, and the output
 * file starts with them as comments.
 */
export type NoteAction = 'dropped' | 'approximated' | 'mapped';

export interface ImportNote {
  /** Where the option is, in the file it came from: `modules.http_2xx.http.fail_if_header_matches[0]`. */
  path: string;
  action: NoteAction;
  /** What differs, and what was done instead. */
  message: string;
}

export class Notes {
  readonly list: ImportNote[] = [];
  private readonly seen = new Set<string>();

  add(path: string, action: NoteAction, message: string): void {
    const key = `${path}\0${action}\0${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ path, action, message });
  }
}

export const formatNote = (n: ImportNote) => `${n.path}: ${n.action}: ${n.message}`;
