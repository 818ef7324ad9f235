/**
 * The CloudWatch Embedded Metric Format specification as a test oracle, written from the spec and
 * not from shared/metrics/emf.ts:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 *
 * Two halves, because the spec's JSON schema ("You can use the following schema to validate embedded
 * metric format documents") checks the shape of `_aws` only:
 * - EMF_SCHEMA: that schema, with its normative keywords as published (type, required, minItems,
 *   maxItems, minLength, maxLength, pattern); the `$id`, `title` and `examples` annotations are left out.
 * - specViolations: the rules the spec states in prose and the schema cannot express, each quoted.
 */
import { Ajv, type ErrorObject } from 'ajv';

/** The unit names the spec's schema accepts (its MetricUnit pattern, the MetricDatum units). */
const UNIT_PATTERN =
  '^(Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|Kilobits|Megabits|Gigabits|Terabits|Percent|Count|' +
  'Bytes\\/Second|Kilobytes\\/Second|Megabytes\\/Second|Gigabytes\\/Second|Terabytes\\/Second|Bits\\/Second|Kilobits\\/Second|Megabits\\/Second|' +
  'Gigabits\\/Second|Terabits\\/Second|Count\\/Second|None)$';

export const EMF_SCHEMA = {
  type: 'object',
  required: ['_aws'],
  properties: {
    _aws: {
      type: 'object',
      required: ['Timestamp', 'CloudWatchMetrics'],
      properties: {
        Timestamp: { type: 'integer' },
        CloudWatchMetrics: {
          type: 'array',
          items: {
            type: 'object',
            required: ['Namespace', 'Dimensions', 'Metrics'],
            properties: {
              Namespace: { type: 'string', pattern: '^(.*)$', minLength: 1, maxLength: 1024 },
              Dimensions: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'array',
                  minItems: 0,
                  maxItems: 30,
                  items: { type: 'string', pattern: '^(.*)$', minLength: 1, maxLength: 250 },
                },
              },
              Metrics: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['Name'],
                  properties: {
                    Name: { type: 'string', pattern: '^(.*)$', minLength: 1, maxLength: 1024 },
                    Unit: { type: 'string', pattern: UNIT_PATTERN },
                    StorageResolution: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validateSchema = new Ajv({ allErrors: true, strict: true }).compile(EMF_SCHEMA);

const MAX_EVENT_BYTES = 1024 * 1024;
const MAX_METRICS_PER_DIRECTIVE = 100;
const MAX_VALUES_PER_METRIC = 100;
const MAX_DIMENSION_VALUE_CHARS = 1024;
const STORAGE_RESOLUTIONS = [1, 60];
const DIRECTIVE_MEMBERS = new Set(['Namespace', 'Dimensions', 'Metrics']);
const DEFINITION_MEMBERS = new Set(['Name', 'Unit', 'StorageResolution']);

type Json = Record<string, unknown>;

function schemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `schema: ${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}

/** The prose rules, on a document that already passed the schema. */
function proseViolations(doc: Json): string[] {
  const out: string[] = [];
  const aws = doc['_aws'] as { CloudWatchMetrics: Array<Json & { Dimensions: string[][]; Metrics: Json[] }> };
  aws.CloudWatchMetrics.forEach((directive, d) => {
    const at = `/_aws/CloudWatchMetrics/${d}`;
    // "Unless otherwise noted, objects defined by this specification MUST NOT contain any additional members."
    for (const key of Object.keys(directive)) if (!DIRECTIVE_MEMBERS.has(key)) out.push(`${at}: unknown member ${key}`);
    // "This array MUST NOT contain more than 100 MetricDefinition objects."
    if (directive.Metrics.length > MAX_METRICS_PER_DIRECTIVE) out.push(`${at}/Metrics: ${directive.Metrics.length} metrics, more than ${MAX_METRICS_PER_DIRECTIVE}`);
    for (const set of directive.Dimensions) {
      for (const key of set) {
        // "The values within this array MUST also be members on the root-node", "The target member
        // MUST have a string value. This value MUST NOT contain more than 1024 characters."
        const value = doc[key];
        if (!(key in doc)) out.push(`dimension ${key}: not a member of the root`);
        else if (typeof value !== 'string') out.push(`dimension ${key}: value is ${typeof value}, not a string`);
        else if (value.length > MAX_DIMENSION_VALUE_CHARS) out.push(`dimension ${key}: value longer than ${MAX_DIMENSION_VALUE_CHARS} characters`);
      }
    }
    directive.Metrics.forEach((metric, m) => {
      for (const key of Object.keys(metric)) if (!DEFINITION_MEMBERS.has(key)) out.push(`${at}/Metrics/${m}: unknown member ${key}`);
      const name = metric['Name'] as string;
      // "Values SHOULD be valid CloudWatch supported resolutions, 1 or 60."
      if (metric['StorageResolution'] !== undefined && !STORAGE_RESOLUTIONS.includes(metric['StorageResolution'] as number)) {
        out.push(`metric ${name}: StorageResolution ${String(metric['StorageResolution'])} is not 1 or 60`);
      }
      // "A metric target MUST be a numeric value or an array of numeric values. Numeric array metric
      // targets MUST NOT have more than 100 members."
      const value = doc[name];
      if (!(name in doc)) out.push(`metric ${name}: not a member of the root`);
      else if (Array.isArray(value)) {
        if (!value.every((v) => typeof v === 'number')) out.push(`metric ${name}: array holds a value that is not a number`);
        if (value.length > MAX_VALUES_PER_METRIC) out.push(`metric ${name}: ${value.length} values, more than ${MAX_VALUES_PER_METRIC}`);
      } else if (typeof value !== 'number') out.push(`metric ${name}: value is ${value === null ? 'null' : typeof value}, not a number`);
    });
  });
  return out;
}

/**
 * Everything in `line` that breaks the specification; empty for a valid EMF line. A line is one log
 * event: "a valid JSON object with no additional data at the beginning or end", at most 1 MB.
 */
export function specViolations(line: string): string[] {
  if (Buffer.byteLength(line) > MAX_EVENT_BYTES) return [`event larger than ${MAX_EVENT_BYTES} bytes`];
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    return [`not JSON: ${(err as Error).message}`];
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['not a JSON object'];
  if (!validateSchema(doc)) return schemaErrors(validateSchema.errors);
  return proseViolations(doc as unknown as Json);
}
