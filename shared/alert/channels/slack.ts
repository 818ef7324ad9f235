/**
 * A Slack incoming-webhook message (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks):
 * Block Kit blocks for people, a top-level `text` for notifications and clients that cannot show
 * blocks, and the details in an attachment whose `color` bar says the severity at a glance
 * (https://docs.slack.dev/messaging/formatting-message-text#when-to-use-attachments).
 *
 * Every value that came from a check or a result is escaped: Slack parses `&`, `<` and `>` in mrkdwn
 * and in `text` as control characters (`<!channel>` pings everyone, `<https://evil|click>` hides a
 * link; https://docs.slack.dev/messaging/formatting-message-text#escaping), and a failure message is
 * whatever the probed server chose to send. Lengths are clipped to Block Kit's limits instead of
 * failing: Slack answers 400 `invalid_blocks` to a block over its limit, and an alert that never
 * arrives is worse than a shortened one.
 */
import type { Severity } from '../../events.ts';
import type { DeliveryMessage } from '../delivery.ts';
import { chatView, clipText, type ChatView, type Links, type LocationLine } from './view.ts';

/**
 * Header text 150 (https://docs.slack.dev/reference/block-kit/blocks/header-block), section text 3000,
 * 10 fields of 2000 each (https://docs.slack.dev/reference/block-kit/blocks/section-block), 50 blocks
 * per message (https://docs.slack.dev/reference/block-kit/blocks). `text` is truncated by Slack past
 * 40,000 characters (https://docs.slack.dev/reference/methods/chat.postMessage#truncating); a
 * notification needs far less.
 */
export const SLACK_LIMITS = { headerText: 150, sectionText: 3000, fields: 10, fieldText: 2000, blocks: 50, text: 3000 } as const;

/** Green for good news, amber for a look, red for a page; a test is blue so nobody mistakes it for either. */
const COLOR: Record<Severity, string> = { critical: '#D0021B', warning: '#F5A623', info: '#2EB67D' };
const TEST_COLOR = '#1D9BD1';

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Clips escaped text to `max` without leaving half an entity (`&am`) at the cut. */
function clipEscaped(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  return `${clipText(escaped, max).slice(0, -1).replace(/&[a-z]{0,3}$/, '')}…`;
}

export function fitMrkdwn(raw: string, max: number): string {
  return clipEscaped(escapeMrkdwn(raw), max);
}

/** Quoted as code: a failure message reads as what the server said, not as formatting. */
const code = (raw: string) => `\`${raw.replace(/`/g, "'")}\``;

type TextObject = { type: 'plain_text'; text: string; emoji: false } | { type: 'mrkdwn'; text: string };
type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] };

export interface SlackMessage {
  text: string;
  blocks: Block[];
  attachments: Array<{ color: string; fallback: string; blocks: Block[] }>;
  /** A failure message can hold a URL; Slack would fetch it to unfurl a preview. */
  unfurl_links: false;
  unfurl_media: false;
}

const mrkdwn = (text: string): TextObject => ({ type: 'mrkdwn', text });

function locationText(l: LocationLine): string {
  const lines = [`• *${escapeMrkdwn(l.location)}*${l.why ? `: ${escapeMrkdwn(code(l.why))}` : ''}${l.since ? ` (since ${escapeMrkdwn(l.since)})` : ''}`];
  if (l.phases) lines.push(`    phases: ${escapeMrkdwn(l.phases)}`);
  return lines.join('\n');
}

/** The locations in one section, cut at whole lines with a count of the rest when they pass the limit. */
function locationsSection(view: ChatView): Block | undefined {
  if (view.locations.length === 0) return undefined;
  const head = `*${escapeMrkdwn(view.locationsHeading ?? 'Locations')}*`;
  const max = SLACK_LIMITS.sectionText;
  let text = head;
  for (const [i, l] of view.locations.entries()) {
    const rest = view.locations.length - i - 1;
    const more = rest > 0 ? `\n… and ${rest} more` : '';
    // One location that alone passes the limit (a long message) is shortened; later ones are counted.
    const line = clipEscaped(locationText(l), max - head.length - 1 - more.length);
    if (text.length + 1 + line.length + more.length > max) return { type: 'section', text: mrkdwn(`${text}\n… and ${rest + 1} more`) };
    text = `${text}\n${line}`;
  }
  return { type: 'section', text: mrkdwn(text) };
}

function factsSection(view: ChatView): Block {
  const fields = view.facts.map((f) => mrkdwn(`*${escapeMrkdwn(f.label)}*\n${fitMrkdwn(f.value, SLACK_LIMITS.fieldText - f.label.length - 3)}`));
  return { type: 'section', fields: fields.slice(0, SLACK_LIMITS.fields) };
}

/** `|` ends a link's URL in mrkdwn, so it is percent-encoded; `&`, `<` and `>` are escaped like any text. */
const linkUrl = (url: string) => escapeMrkdwn(url.replace(/\|/g, '%7C'));

function contextBlock(view: ChatView): Block {
  const parts = [`Incident ${escapeMrkdwn(code(view.incidentId))}`];
  if (view.dashboard) parts.push(`<${linkUrl(view.dashboard)}|Open the dashboard>`);
  return { type: 'context', elements: [mrkdwn(parts.join(' · '))] };
}

export function renderSlack(message: DeliveryMessage, links: Links): SlackMessage {
  const view = chatView(message, links);
  // The escaping rule is stated for text objects of both types, so the header is escaped too: Slack
  // shows the three entities as their characters, and a check's name may hold any of them.
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: fitMrkdwn(view.title, SLACK_LIMITS.headerText), emoji: false } }];
  if (view.lead) blocks.push({ type: 'section', text: mrkdwn(fitMrkdwn(view.lead, SLACK_LIMITS.sectionText)) });
  const details = [factsSection(view), locationsSection(view), contextBlock(view)].filter((b): b is Block => b !== undefined);
  return {
    text: fitMrkdwn(message.text || message.subject, SLACK_LIMITS.text),
    blocks,
    attachments: [{ color: view.event === 'TEST' ? TEST_COLOR : COLOR[view.severity], fallback: fitMrkdwn(message.subject, SLACK_LIMITS.text), blocks: details }],
    unfurl_links: false,
    unfurl_media: false,
  };
}
