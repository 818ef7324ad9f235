/**
 * A Microsoft Teams workflow-webhook message: one Adaptive Card attachment in the envelope Teams
 * documents for webhooks (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook#send-adaptive-cards-using-an-incoming-webhook).
 * Version 1.4 of the card schema (https://adaptivecards.io/schemas/1.4.0/adaptive-card.json), which
 * every current Teams client renders.
 *
 * TextBlock and Fact values are read as a Markdown subset (https://learn.microsoft.com/en-us/adaptive-cards/authoring-cards/text-features),
 * so a failure message could dress a link as `[click](https://evil)`: the `](` that makes a link is
 * broken with a zero-width space, which leaves the text as it reads. Teams refuses a message over
 * 28 KB (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#rate-limiting-for-connectors),
 * so values and the location list are bounded well under it.
 */
import type { Severity } from '../../events.ts';
import type { DeliveryMessage } from '../delivery.ts';
import { chatView, clipText, type ChatView, type Links, type LocationLine } from './view.ts';

export const TEAMS_LIMITS = { factValue: 1000, locations: 20, text: 2000 } as const;

const COLOR: Record<Severity, 'Attention' | 'Warning' | 'Good'> = { critical: 'Attention', warning: 'Warning', info: 'Good' };

/** Text that stays text: no Markdown link can be formed from it. */
export function defuseMarkdown(text: string): string {
  return text.replace(/\]\s*\(/g, (m) => `]\u200b${m.slice(1)}`);
}

const safe = (text: string, max: number) => clipText(defuseMarkdown(text), max);

interface TextBlock { type: 'TextBlock'; text: string; wrap: true; size?: 'Small' | 'Large'; weight?: 'Bolder'; color?: string; isSubtle?: true; spacing?: 'Medium' }
interface FactSet { type: 'FactSet'; facts: Array<{ title: string; value: string }> }
type Element = TextBlock | FactSet;

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.4';
  body: Element[];
  /** Left out when there is nothing to open: an empty list is no part of the card as its library reads it. */
  actions?: Array<{ type: 'Action.OpenUrl'; title: string; url: string }>;
}

export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: AdaptiveCard }];
}

function locationValue(l: LocationLine): string {
  const parts = [l.why ?? 'no reason recorded'];
  if (l.since) parts.push(`since ${l.since}`);
  if (l.phases) parts.push(`phases: ${l.phases}`);
  return safe(parts.join('; '), TEAMS_LIMITS.factValue);
}

function locationsElements(view: ChatView): Element[] {
  if (view.locations.length === 0) return [];
  const shown = view.locations.slice(0, TEAMS_LIMITS.locations);
  const facts = shown.map((l) => ({ title: safe(l.location, 200), value: locationValue(l) }));
  const rest = view.locations.length - shown.length;
  if (rest > 0) facts.push({ title: '…', value: `and ${rest} more` });
  return [
    { type: 'TextBlock', text: view.locationsHeading ?? 'Locations', wrap: true, weight: 'Bolder', spacing: 'Medium' },
    { type: 'FactSet', facts },
  ];
}

function body(view: ChatView): Element[] {
  const color = view.event === 'TEST' ? 'Accent' : COLOR[view.severity];
  return [
    { type: 'TextBlock', text: safe(view.title, 200), wrap: true, size: 'Large', weight: 'Bolder', color },
    ...(view.lead ? [{ type: 'TextBlock' as const, text: safe(view.lead, TEAMS_LIMITS.text), wrap: true as const }] : []),
    { type: 'FactSet', facts: view.facts.map((f) => ({ title: f.label, value: safe(f.value, TEAMS_LIMITS.factValue) })) },
    ...locationsElements(view),
    { type: 'TextBlock', text: `Incident ${safe(view.incidentId, 300)}`, wrap: true, size: 'Small', isSubtle: true },
  ];
}

export function renderTeams(message: DeliveryMessage, links: Links): TeamsMessage {
  const view = chatView(message, links);
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body: body(view),
        ...(view.dashboard !== undefined && { actions: [{ type: 'Action.OpenUrl' as const, title: 'Open the dashboard', url: view.dashboard }] }),
      },
    }],
  };
}
