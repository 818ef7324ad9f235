/**
 * What `vantage dev` shows. Three modes over one stream of events from the local pipeline:
 * - a live screen on a terminal: one row per check (overall state, each location's state, last
 *   latency and failure reason), the recent notifications, the last email and recent activity,
 *   redrawn in place;
 * - plain log lines when stdout is not a terminal (CI logs, `| tee`): one line per check and round,
 *   and one per state change, notification, delivery attempt (by channel and target key, never by
 *   URL: a Slack or Teams URL is a credential) and error;
 * - `--json`: every event as one JSON object per line, for machines and tests.
 *
 * The model and the rendering are pure (time and width are passed in); only the refresher and the
 * plain log's round grouping hold timers. On a terminal, number keys stop and start locations
 * ({@link keyAction}); cli/commands/dev.ts reads the keys.
 */
import type { Check } from '../shared/config/schema.ts';
import type { Mute, Overall } from '../shared/evaluate/index.ts';
import type { DemoEvent } from '../dev/demo-targets.ts';
import type { PipelineEvent } from '../dev/pipeline.ts';

export type ViewEvent =
  | PipelineEvent
  | DemoEvent
  | { type: 'stopping'; reason: string }
  | { type: 'stopped'; exitCode: number; ms: number }
  | { type: 'fatal'; error: string };

export interface LocationCell {
  status?: 'up' | 'degraded' | 'down';
  latencyMs?: number;
  reason?: string;
  httpStatus?: number;
  /** From the evaluator's state. */
  failing: boolean;
  consecutiveFailures: number;
  /** Recovery progress while failing. */
  consecutiveSuccesses: number;
  silent: boolean;
}

export interface CheckRow {
  id: string;
  name: string;
  locations: string[];
  failureThreshold: number;
  recoveryThreshold: number;
  /** The evaluator's decision; absent until it first writes a state (steady UP writes nothing). */
  overall?: Overall;
  /** The window or silence that covered the latest state the evaluator wrote; shown while its end is ahead. */
  mute?: Mute;
  cells: Record<string, LocationCell>;
}

export interface ActivityLine {
  at: number;
  text: string;
  tone: Tone;
}

export interface ViewModel {
  startedAt: number;
  ready?: Extract<PipelineEvent, { type: 'ready' }>;
  rows: CheckRow[];
  notifications: Array<{ at: number; event: string; subject: string }>;
  lastEmail?: { at: number; to: string[]; subject: string; text: string };
  activity: ActivityLine[];
  stopping?: string;
  /** The pipeline's control URL, once it listens. */
  control?: string;
  /** The local status page (`status page: <url>`). */
  statusPage?: string;
  /** Locations stopped through the control server or a key; they write nothing until started. */
  stopped: string[];
  /** The command that starts an agent, per agent location (agents are started by people, not here). */
  agents: Array<{ location: string; command: string }>;
}

type Tone = 'plain' | 'good' | 'warn' | 'bad' | 'dim' | 'strong';

const KEEP_NOTIFICATIONS = 6;
const KEEP_ACTIVITY = 8;

export function createModel(checks: readonly Check[], now: number): ViewModel {
  return {
    startedAt: now,
    rows: checks.filter((c) => c.enabled).map((c) => ({
      id: c.id,
      name: c.name?.trim() || c.id,
      locations: [...c.locations],
      failureThreshold: c.alerting.failureThreshold,
      recoveryThreshold: c.alerting.recoveryThreshold,
      cells: Object.fromEntries(c.locations.map((l) => [l, { failing: false, consecutiveFailures: 0, consecutiveSuccesses: 0, silent: false }])),
    })),
    notifications: [],
    activity: [],
    stopped: [],
    agents: [],
  };
}

/** The locations in the order the keys 1…9 name them: the pipeline's, else the checks'. */
export function keyedLocations(model: ViewModel): string[] {
  return model.ready?.locations ?? [...new Set(model.rows.flatMap((row) => row.locations))];
}

export type KeyAction = { type: 'toggle'; location: string } | { type: 'interrupt' };

/**
 * What a key pressed in the live view asks for: a digit toggles that location (1 is the first), and
 * Ctrl-C, which raw mode delivers as a byte instead of a signal, stops everything. Pure.
 */
export function keyAction(key: string, locations: readonly string[]): KeyAction | undefined {
  if (key === '\x03') return { type: 'interrupt' };
  if (!/^[1-9]$/.test(key)) return undefined;
  const location = locations[Number(key) - 1];
  return location === undefined ? undefined : { type: 'toggle', location };
}

/** The overall state to show: the evaluator's, or UP once every location has passed and nothing was written. */
export function shownOverall(row: CheckRow): Overall | 'PENDING' {
  if (row.overall) return row.overall;
  const cells = row.locations.map((l) => row.cells[l]);
  return cells.every((c) => c?.status === 'up' || c?.status === 'degraded') ? 'UP' : 'PENDING';
}

/** The row's mute if it still holds at `now` (the sweep clears a stored one within a minute of its end). */
export function activeMute(row: Pick<CheckRow, 'mute'>, now: number): Mute | undefined {
  return row.mute && row.mute.end > now ? row.mute : undefined;
}

/** The STATE column: `MAINTENANCE (DOWN)` while a window or silence covers the check, its overall state otherwise. */
export function stateText(row: CheckRow, now: number): string {
  return activeMute(row, now) ? `MAINTENANCE (${shownOverall(row)})` : shownOverall(row);
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** `window weekly-deploy until 02:30:00Z`; a day or more ahead with its date. */
export function muteText(mute: Mute, now: number): string {
  const until = mute.end - now >= 86_400_000 ? new Date(mute.end).toISOString().replace('.000Z', 'Z') : `${clock(mute.end)}Z`;
  return `${mute.kind === 'maintenance' ? 'window' : 'silence'} ${mute.name} until ${until}`;
}

const NOTIFICATION_TONE = (event: string): Tone => (event === 'RESOLVED' ? 'good' : event === 'DOWN' || event === 'REMINDER' || event === 'ESCALATION' ? 'bad' : 'warn');

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** What the demo receiver got, by the shape of the body: a Vantage payload, PagerDuty, Slack or Teams. */
function receiverSummary(body: unknown): string {
  if (typeof body !== 'object' || body === null) return 'a request';
  const b = body as { event?: unknown; checkId?: unknown; event_action?: unknown; dedup_key?: unknown; text?: unknown; attachments?: unknown };
  if (typeof b.event === 'string') return `${b.event} for ${String(b.checkId)}`;
  if (typeof b.event_action === 'string') return `a PagerDuty ${b.event_action} of ${String(b.dedup_key)}`;
  if (typeof b.text === 'string') return `a Slack message: ${clip(b.text.split('\n')[0] ?? '', 80)}`;
  const card = Array.isArray(b.attachments) ? (b.attachments[0] as { contentType?: unknown } | undefined) : undefined;
  if (card?.contentType === 'application/vnd.microsoft.card.adaptive') return 'a Teams Adaptive Card';
  return 'a request';
}

type DeliveryFacts = Pick<Extract<ViewEvent, { type: 'delivered' }>, 'channel' | 'target' | 'kind' | 'event' | 'checkId'>;

/** `DOWN of api → oncall/pagerduty (pagerduty)`: what went where, by target key, never by URL. */
function deliveryText(e: DeliveryFacts): string {
  const kind = e.target === e.kind ? '' : ` (${e.kind})`;
  return `${e.event}${e.checkId !== undefined ? ` of ${e.checkId}` : ''} → ${e.channel}/${e.target}${kind}`;
}

/** One line about an event for people, or undefined for events shown only in the table. Pure. */
export function describe(event: ViewEvent): { text: string; tone: Tone } | undefined {
  switch (event.type) {
    case 'starting': return { text: `starting ${event.what}…`, tone: 'dim' };
    case 'ready': return {
      text: `ready: DynamoDB Local ${event.dynamodb} (table ${event.tableName}), SNS/SQS ${event.sns}; ${event.checks.length} check(s) from ${[...event.locations, ...(event.agentLocations ?? []).map((l) => `${l} (agents)`)].join(', ')}`,
      tone: 'strong',
    };
    case 'agent': return { text: `agent: ${event.command}`, tone: 'dim' };
    case 'result':
    case 'state': return undefined;
    case 'notification': return { text: `NOTIFICATION ${event.subject} → ${event.channels.join(', ') || '(no channel)'}`, tone: NOTIFICATION_TONE(event.event) };
    case 'email': return { text: `email to ${event.to.join(', ')}: ${event.subject}`, tone: 'plain' };
    case 'delivered': return { text: `delivered ${deliveryText(event)}: ${event.status} in ${event.ms} ms (attempt ${event.attempt})`, tone: 'good' };
    case 'delivery_failed': return { text: `delivery failed ${deliveryText(event)}: ${event.error} (attempt ${event.attempt}); retrying in ${seconds(event.retryInMs)}`, tone: 'warn' };
    case 'dead_lettered': return { text: `dead-lettered ${deliveryText(event)}: ${event.error} (${event.permanent ? 'permanent, ' : ''}attempt ${event.attempt}); it waits in the dead-letter queue`, tone: 'bad' };
    case 'duplicate_skipped': return { text: `already delivered to ${event.channel}/${event.target}: ${event.dedupeKey} skipped`, tone: 'dim' };
    case 'channel_failing': return { text: `channel ${event.channel}/${event.target} is failing (${event.failures} failed attempts in a row); CHANNEL_FAILING sent to ${event.notified.join(', ') || '(no other channel)'}`, tone: 'bad' };
    case 'channel_recovered': return { text: `channel ${event.channel}/${event.target} delivers again`, tone: 'good' };
    case 'undeliverable': return { text: `undeliverable message ${event.messageId}: ${event.error}`, tone: 'bad' };
    case 'queue_error': return { text: `delivery queue error: ${event.error}`, tone: 'bad' };
    // The notifier's warnings say what its delivery events say already; its errors add the why.
    case 'log': return event.level === 'INFO' || (event.source === 'notifier' && event.level === 'WARN') ? undefined : { text: `${event.source} ${event.level}: ${event.message}${event.fields ? ` ${JSON.stringify(event.fields)}` : ''}`, tone: event.level === 'ERROR' ? 'bad' : 'warn' };
    case 'stream_discard': return { text: `stream: ${event.records} record(s) of shard ${event.shardId} discarded after retries (${event.reason})`, tone: 'bad' };
    case 'error': return { text: `error in ${event.source}: ${event.error}`, tone: 'bad' };
    case 'demo_ready': return {
      text: `demo targets: API ${event.api} (/health fails ${seconds(event.outage.durationMs)} of every ${seconds(event.outage.everyMs)}, first after ${seconds(event.outage.firstAfterMs)}; /slow), TCP banner ${event.tcp}, webhook receiver ${event.receiver}`,
      tone: 'dim',
    };
    case 'demo_outage': return event.failing
      ? { text: `demo: /health fails (503) from now, for ${seconds(Math.round(event.forMs / 1000) * 1000)}`, tone: 'warn' }
      : { text: `demo: /health answers 200; the next outage starts in ${seconds(Math.round(event.forMs / 1000) * 1000)}`, tone: 'good' };
    case 'receiver': return { text: `demo webhook receiver got ${receiverSummary(event.body)}${event.attempt !== undefined ? ` (attempt ${event.attempt})` : ''}`, tone: 'plain' };
    case 'control': return { text: `control: ${event.url} (POST /locations/<name>/stop or /start)`, tone: 'dim' };
    case 'status_page': return { text: `status page: ${event.url}`, tone: 'dim' };
    case 'location_stopped': return { text: `location ${event.location} stopped: it writes nothing (no results, no heartbeat) until started`, tone: 'warn' };
    case 'location_started': return { text: `location ${event.location} started again`, tone: 'good' };
    case 'stopping': return { text: `stopping (${event.reason})…`, tone: 'dim' };
    case 'stopped': return { text: `stopped in ${event.ms} ms`, tone: 'dim' };
    case 'fatal': return { text: event.error, tone: 'bad' };
  }
}

/** Applies one event to the model (mutating it; the model belongs to one view). */
export function applyEvent(model: ViewModel, event: ViewEvent, at: number): void {
  switch (event.type) {
    case 'ready':
      model.ready = event;
      break;
    case 'result': {
      const cell = model.rows.find((r) => r.id === event.checkId)?.cells[event.location];
      if (!cell) break;
      cell.status = event.status as LocationCell['status'];
      cell.latencyMs = event.latencyMs;
      if (event.reason === undefined) delete cell.reason;
      else cell.reason = event.reason;
      if (event.httpStatus === undefined) delete cell.httpStatus;
      else cell.httpStatus = event.httpStatus;
      break;
    }
    case 'state': {
      const row = model.rows.find((r) => r.id === event.checkId);
      if (!row) break;
      row.overall = event.overall;
      if (event.mute) row.mute = event.mute;
      else delete row.mute;
      for (const [name, loc] of Object.entries(event.locations)) {
        const cell = row.cells[name];
        if (!cell) continue;
        cell.failing = loc.failing;
        cell.consecutiveFailures = loc.consecutiveFailures;
        cell.consecutiveSuccesses = loc.consecutiveSuccesses;
        cell.silent = loc.silent;
      }
      break;
    }
    case 'notification':
      model.notifications.push({ at, event: event.event, subject: event.subject });
      model.notifications.splice(0, Math.max(0, model.notifications.length - KEEP_NOTIFICATIONS));
      break;
    case 'email':
      model.lastEmail = { at, to: event.to, subject: event.subject, text: event.text };
      break;
    case 'stopping':
      model.stopping = event.reason;
      break;
    case 'control':
      model.control = event.url;
      break;
    case 'status_page':
      model.statusPage = event.url;
      break;
    case 'agent':
      model.agents = [...model.agents.filter((a) => a.location !== event.location), { location: event.location, command: event.command }];
      break;
    case 'location_stopped':
      if (!model.stopped.includes(event.location)) model.stopped.push(event.location);
      break;
    case 'location_started':
      model.stopped = model.stopped.filter((l) => l !== event.location);
      break;
    default:
      break;
  }
  const line = describe(event);
  // Notifications and agent commands have panels of their own.
  if (line && event.type !== 'notification' && event.type !== 'agent') {
    model.activity.push({ at, ...line });
    model.activity.splice(0, Math.max(0, model.activity.length - KEEP_ACTIVITY));
  }
}

const COLORS: Record<Tone, [string, string]> = {
  plain: ['', ''],
  good: ['\x1b[32m', '\x1b[0m'],
  warn: ['\x1b[33m', '\x1b[0m'],
  bad: ['\x1b[31m', '\x1b[0m'],
  dim: ['\x1b[2m', '\x1b[0m'],
  strong: ['\x1b[1m', '\x1b[0m'],
};

const OVERALL_TONE: Record<Overall | 'PENDING', Tone> = { UP: 'good', DEGRADED: 'warn', PARTIAL: 'warn', DOWN: 'bad', PENDING: 'dim' };

function clip(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function latency(ms: number | undefined): string {
  if (ms === undefined) return '';
  // An ICMP round trip on a LAN is a few hundredths of a millisecond; 0.0ms would say nothing.
  return ms >= 100 ? `${Math.round(ms)}ms` : ms >= 1 ? `${ms.toFixed(1)}ms` : `${ms.toFixed(2)}ms`;
}

/** A location's cell: what its last run saw and what the evaluator makes of it. */
export function cellText(cell: LocationCell | undefined, row: Pick<CheckRow, 'failureThreshold' | 'recoveryThreshold'>): { text: string; tone: Tone } {
  if (!cell?.status) return { text: '…', tone: 'dim' };
  const why = cell.reason === 'status_code' && cell.httpStatus !== undefined ? String(cell.httpStatus) : cell.reason ?? '';
  if (cell.silent) return { text: 'silent', tone: 'warn' };
  // The state event for a result arrives after the result itself: until then, count this run in.
  if (cell.failing && cell.status !== 'down') return { text: `recovering ${Math.max(1, cell.consecutiveSuccesses)}/${row.recoveryThreshold} ${latency(cell.latencyMs)}`, tone: 'warn' };
  if (cell.failing) return { text: `FAILING ${why}`.trim(), tone: 'bad' };
  if (cell.status === 'down') return { text: `fail ${Math.min(cell.consecutiveFailures, row.failureThreshold - 1) || 1}/${row.failureThreshold} ${why}`.trim(), tone: 'warn' };
  if (cell.status === 'degraded') return { text: `slow ${latency(cell.latencyMs)}`, tone: 'warn' };
  return { text: `up ${latency(cell.latencyMs)}`, tone: 'good' };
}

function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export interface RenderOptions {
  now: number;
  /** Terminal columns. */
  width: number;
  color: boolean;
  /** Rows available; the last-email panel is shortened to fit. @default unlimited */
  height?: number;
  /** Whether the number keys work (stdin is a terminal), so the footer offers them. @default false */
  keys?: boolean;
}

/** The whole screen as lines. Pure. */
export function renderScreen(model: ViewModel, opts: RenderOptions): string[] {
  const paint = (text: string, tone: Tone) => (opts.color ? `${COLORS[tone][0]}${text}${COLORS[tone][1]}` : text);
  const width = Math.max(40, opts.width);
  const lines: string[] = [];
  const r = model.ready;
  lines.push(paint(clip(`Vantage dev · up ${uptime(opts.now - model.startedAt)}${r ? ` · ${r.checks.length} check(s) × ${r.locations.length} location(s)` : ' · starting'}${model.stopping ? ' · stopping…' : ''}`, width), 'strong'));
  if (r) lines.push(paint(clip(`DynamoDB Local ${r.dynamodb} · table ${r.tableName} · topic ${r.topicArn}`, width), 'dim'));
  lines.push('');

  const keyed = keyedLocations(model);
  const locations = [...new Set([...keyed, ...model.rows.flatMap((row) => row.locations)])];
  const heading = (l: string) => {
    const key = keyed.indexOf(l);
    return `${key >= 0 && key < 9 ? `${key + 1}:` : ''}${l}${model.stopped.includes(l) ? ' STOPPED' : ''}`;
  };
  const idWidth = Math.min(24, Math.max(5, ...model.rows.map((row) => row.id.length)));
  // Wide enough for MAINTENANCE (PARTIAL) when a row needs it, else as narrow as it always was.
  const stateWidth = Math.max(8, ...model.rows.map((row) => stateText(row, opts.now).length));
  const cellWidth = Math.max(10, Math.floor((width - idWidth - stateWidth - 4) / Math.max(1, locations.length)) - 1);
  const pad = (text: string, w: number) => clip(text, w).padEnd(w);
  lines.push([paint(pad('CHECK', idWidth), 'dim'), paint(pad('STATE', stateWidth), 'dim'), ...locations.map((l) => paint(pad(heading(l), cellWidth), model.stopped.includes(l) ? 'warn' : 'dim'))].join(' ').trimEnd());
  for (const row of model.rows) {
    const overall = shownOverall(row);
    const cells = locations.map((l) => {
      if (!row.locations.includes(l)) return pad('', cellWidth);
      const c = cellText(row.cells[l], row);
      return paint(pad(c.text, cellWidth), c.tone);
    });
    const tone = activeMute(row, opts.now) ? 'dim' : OVERALL_TONE[overall];
    lines.push([pad(row.id, idWidth), paint(pad(stateText(row, opts.now), stateWidth), tone), ...cells].join(' ').trimEnd());
  }
  const muted = model.rows.filter((row) => activeMute(row, opts.now));
  if (muted.length > 0) {
    lines.push('', paint('Maintenance (results counted, nothing sent)', 'strong'));
    for (const row of muted) lines.push(paint(clip(`  ${row.id}: ${muteText(row.mute!, opts.now)}`, width), 'dim'));
  }

  lines.push('', paint('Recent notifications', 'strong'));
  if (model.notifications.length === 0) lines.push(paint('  (none yet)', 'dim'));
  for (const n of [...model.notifications].reverse()) lines.push(paint(clip(`  ${clock(n.at)}  ${n.subject}`, width), NOTIFICATION_TONE(n.event)));

  const activity = ['', paint('Activity', 'strong'), ...model.activity.map((a) => paint(clip(`  ${clock(a.at)}  ${a.text}`, width), a.tone))];
  const keys = Math.min(9, keyed.length);
  const footer = ['', paint(clip([
    ...(opts.keys && keys > 0 ? [`keys 1${keys > 1 ? `-${keys}` : ''} stop/start a location`] : []),
    'Ctrl-C stops everything',
    ...(r ? [`in another terminal: npx vantage status --endpoint ${r.dynamodb}`] : []),
  ].join(' · '), width), 'dim')];
  if (model.control) footer.push(paint(clip(`control: ${model.control} (POST /locations/<name>/stop or /start)`, width), 'dim'));
  if (model.statusPage) footer.push(paint(clip(`status page: ${model.statusPage}`, width), 'dim'));
  // Not clipped: the command is for copying, and a cut one would not run.
  for (const a of model.agents) footer.push(paint(`agent: ${a.command}`, 'dim'));

  if (model.lastEmail) {
    const e = model.lastEmail;
    const room = opts.height === undefined ? Infinity : opts.height - lines.length - activity.length - footer.length - 3;
    const body = e.text.split('\n');
    const shown = room === Infinity ? body : body.slice(0, Math.max(0, room));
    lines.push('', paint(clip(`Last email (${clock(e.at)}) to ${e.to.join(', ')}: ${e.subject}`, width), 'strong'));
    for (const l of shown) lines.push(clip(`  ${l}`, width));
    if (shown.length < body.length) lines.push(paint(`  … ${body.length - shown.length} more line(s)`, 'dim'));
  }
  return [...lines, ...activity, ...footer];
}

/** Where the view writes, and how big the terminal is. */
export interface Terminal {
  write(text: string): void;
  columns?: () => number | undefined;
  rows?: () => number | undefined;
}

export interface View {
  event(event: ViewEvent): void;
  /** The locations the number keys toggle, in key order (empty before the pipeline is ready). */
  keyed?(): string[];
  /** Flushes and stops timers; the last screen (or log lines) stay on the terminal. */
  close(): void;
}

export interface ViewOptions {
  checks: readonly Check[];
  terminal: Terminal;
  /** @default Date.now */
  now?: () => number;
}

/** `--json`: each event as it happened, with its time. */
export function jsonView(opts: ViewOptions): View {
  const now = opts.now ?? Date.now;
  return {
    event: (e) => opts.terminal.write(`${JSON.stringify({ ts: new Date(now()).toISOString(), ...e })}\n`),
    close: () => {},
  };
}

/** One line per check per round, once every location has reported or a second has passed. */
export function plainView(opts: ViewOptions & { color?: boolean }): View {
  const now = opts.now ?? Date.now;
  const model = createModel(opts.checks, now());
  const pending = new Map<string, { timer: NodeJS.Timeout; seen: Set<string> }>();
  const write = (text: string) => opts.terminal.write(`${clock(now())} ${text}\n`);

  const flush = (checkId: string) => {
    const p = pending.get(checkId);
    if (!p) return;
    clearTimeout(p.timer);
    pending.delete(checkId);
    const row = model.rows.find((r) => r.id === checkId);
    if (!row) return;
    const cells = row.locations.map((l) => `${l} ${cellText(row.cells[l], row).text}`);
    write(`probe  ${row.id.padEnd(14)} ${stateText(row, now()).padEnd(8)} ${cells.join(' · ')}`);
  };

  return {
    event(e) {
      const stateRow = e.type === 'state' ? model.rows.find((r) => r.id === e.checkId) : undefined;
      const before = stateRow?.overall;
      // The mute the last state carried, even if its end has passed since: that end is what is reported.
      const mutedBefore = stateRow?.mute;
      applyEvent(model, e, now());
      if (e.type === 'result') {
        const row = model.rows.find((r) => r.id === e.checkId);
        if (!row) return;
        let p = pending.get(row.id);
        if (!p) {
          p = { timer: setTimeout(() => flush(row.id), 1_000), seen: new Set() };
          pending.set(row.id, p);
        }
        p.seen.add(e.location);
        if (row.locations.every((l) => p.seen.has(l))) flush(row.id);
        return;
      }
      if (e.type === 'state') {
        const mutedAfter = stateRow && activeMute(stateRow, now());
        if (mutedAfter && mutedAfter.name !== mutedBefore?.name) write(`state  ${e.checkId} is in MAINTENANCE (${muteText(mutedAfter, now())}): results counted, nothing sent; counted ${e.overall}`);
        else if (!mutedAfter && mutedBefore) write(`state  ${e.checkId} maintenance ended (${mutedBefore.kind === 'maintenance' ? 'window' : 'silence'} ${mutedBefore.name}); counted ${e.overall}`);
        if (e.overall !== (before ?? 'UP')) write(`state  ${e.checkId} is now ${mutedAfter ? `MAINTENANCE (${e.overall})` : e.overall}`);
        return;
      }
      if (e.type === 'control') {
        // A line of its own, unprefixed, so a script can read the URL from the log: `control: <url>`.
        opts.terminal.write(`control: ${e.url}\n`);
        return;
      }
      if (e.type === 'status_page') {
        opts.terminal.write(`status page: ${e.url}\n`);
        return;
      }
      if (e.type === 'agent') {
        // Unprefixed too, so it can be copied (or read by a script) whole: `agent: <command>`.
        opts.terminal.write(`agent: ${e.command}\n`);
        return;
      }
      if (e.type === 'email') {
        write(`email  to ${e.to.join(', ')} (channel ${e.channel})`);
        opts.terminal.write(`${['  Subject: ' + e.subject, '', ...e.text.split('\n')].map((l) => `  | ${l}`.trimEnd()).join('\n')}\n`);
        return;
      }
      const line = describe(e);
      if (line) write(line.text);
    },
    close() {
      for (const id of [...pending.keys()]) flush(id);
    },
  };
}

/** The live screen: redrawn in place at most every `intervalMs`, and once a second for the clock. */
export function ttyView(opts: ViewOptions & { intervalMs?: number; keys?: boolean }): View {
  const now = opts.now ?? Date.now;
  const model = createModel(opts.checks, now());
  let dirty = true;
  const draw = () => {
    dirty = false;
    const lines = renderScreen(model, { now: now(), width: opts.terminal.columns?.() ?? 100, color: true, keys: opts.keys ?? false, ...(opts.terminal.rows?.() !== undefined && { height: opts.terminal.rows()! }) });
    // Home, draw each line clearing its rest, then clear below: no flicker from a full-screen clear.
    opts.terminal.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
  };
  opts.terminal.write('\x1b[?25l\x1b[2J');
  const fast = setInterval(() => { if (dirty) draw(); }, opts.intervalMs ?? 200);
  const slow = setInterval(draw, 1_000);
  return {
    event(e) {
      applyEvent(model, e, now());
      dirty = true;
    },
    keyed: () => (model.ready ? keyedLocations(model) : []),
    close() {
      clearInterval(fast);
      clearInterval(slow);
      draw();
      opts.terminal.write('\x1b[?25h');
    },
  };
}
