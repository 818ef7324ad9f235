/**
 * Published on-demand list prices, us-east-1, in US dollars.
 *
 * These are list prices as AWS published them (the dates say when); they were NOT re-checked online
 * from the machine that wrote this (it has no internet). Free tiers are left out on purpose: an
 * estimate that depends on what else runs in the account would not compare configs fairly.
 * Check the source pages before quoting a figure to anyone.
 */

/**
 * AWS Lambda, Arm (Graviton), first duration tier (up to 7.5 billion GB-s a month).
 * Source: https://aws.amazon.com/lambda/pricing/ (list price since the Arm launch, 2021-09; unchanged
 * through 2025). Duration is billed per 1 ms, and since 2025-08-01 the INIT phase is billed too
 * (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/); a function
 * invoked every minute rarely cold-starts, so init is left out.
 */
export const LAMBDA_ARM_PER_GB_SECOND = 0.0000133334;
/** Same source and tier, x86_64 (`deployment.architecture: x86_64`). */
export const LAMBDA_X86_PER_GB_SECOND = 0.0000166667;
/** Same source: $0.20 per million requests, both architectures. */
export const LAMBDA_PER_REQUEST = 0.20 / 1e6;

/**
 * DynamoDB on-demand (Standard table class). Source: https://aws.amazon.com/dynamodb/pricing/on-demand/
 * (after the 50% on-demand throughput cut of 2024-11-01): $0.625 per million write request units,
 * $0.125 per million read request units. One WRU writes up to 1 KB; a strongly consistent read of up
 * to 4 KB takes 1 RRU (an eventually consistent one half).
 */
export const DDB_PER_WRU = 0.625 / 1e6;
export const DDB_PER_RRU = 0.125 / 1e6;
/** Same source, storage: $0.25 per GB-month (Standard class; the first 25 GB are free, not counted here). */
export const DDB_STORAGE_PER_GB_MONTH = 0.25;
/**
 * Storage counts 100 bytes of overhead per item on top of its attribute names and values.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export const DDB_STORAGE_OVERHEAD_BYTES = 100;
/**
 * Continuous backups (point-in-time recovery, on for the results table in
 * cdk/constructs/results-table.ts): $0.20 per GB-month of table size. Same on-demand pricing page (2025).
 */
export const DDB_PITR_PER_GB_MONTH = 0.20;
/*
 * Not charged, hence no constant: stream GetRecords calls made by a Lambda trigger ("GetRecords API
 * calls invoked by AWS Lambda as part of DynamoDB triggers are free", the on-demand pricing page above),
 * and deletes done by TTL (also on that page).
 */

/**
 * SNS standard topics. Source: https://aws.amazon.com/sns/pricing/ (list price, 2025):
 * $0.50 per million publishes (each 64 KB chunk counts as one), deliveries to HTTP/S $0.60 per
 * million, to email $2.00 per 100,000; deliveries to SQS and Lambda are free.
 */
export const SNS_PER_PUBLISH = 0.50 / 1e6;
export const SNS_PER_HTTP_DELIVERY = 0.60 / 1e6;
export const SNS_PER_EMAIL_DELIVERY = 2.00 / 1e5;

/**
 * EventBridge scheduled rules (`rate(1 minute)` on the default bus): no charge. The event bus bills
 * custom and partner events only (https://aws.amazon.com/eventbridge/pricing/), and CloudWatch's
 * pricing page lists "All events except custom events" as included
 * (https://aws.amazon.com/cloudwatch/pricing/, 2025). EventBridge Scheduler, the newer service, would
 * cost $1.00 per million invocations after 14 million free a month (same EventBridge page, 2024-10),
 * so the probe's one-a-minute trigger stays free either way at this scale.
 */
export const EVENTBRIDGE_PER_SCHEDULED_RULE_INVOCATION = 0;

/**
 * SQS standard queue requests, us-east-1: $0.40 per million after the first million a month (a 64 KB
 * chunk is one request; a continuation is far smaller). Source: https://aws.amazon.com/sqs/pricing/ (2025).
 */
export const SQS_PER_REQUEST = 0.40 / 1e6;
/** SQS FIFO queue requests (the notifier's delivery queue), us-east-1: $0.50 per million. Same source. */
export const SQS_FIFO_PER_REQUEST = 0.50 / 1e6;

/**
 * CloudWatch Logs, Standard class, us-east-1. Source: https://aws.amazon.com/cloudwatch/pricing/
 * (2025): ingestion $0.50 per GB (Lambda logs: the first tier of the 2025-05 volume pricing is the same
 * $0.50), storage $0.03 per GB-month compressed. Each event is metered as its UTF-8 size plus 26 bytes
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
 */
export const LOGS_PER_GB_INGESTED = 0.50;
export const LOGS_PER_GB_MONTH_STORED = 0.03;
export const LOGS_EVENT_OVERHEAD_BYTES = 26;

/**
 * CloudWatch custom metrics: $0.30 per metric per month for the first 10,000 metrics, prorated by the
 * hour. Metrics from Embedded Metric Format logs are custom metrics (each name × dimension-value
 * combination is one), with no PutMetricData charge. Source: https://aws.amazon.com/cloudwatch/pricing/ (2025).
 */
export const CW_PER_CUSTOM_METRIC_MONTH = 0.30;

/**
 * CloudWatch alarms and dashboards. Source: https://aws.amazon.com/cloudwatch/pricing/ (2025): $0.10 per
 * standard-resolution metric alarm a month (one metric, period of 60 s or more, as every Vantage alarm
 * is), $3.00 per dashboard a month. The free tier (10 alarms, 3 dashboards of up to 50 metrics each,
 * 10 custom metrics) is not applied, as nowhere in this file; the Vantage dashboard graphs three series
 * per check × location, so beyond a handful of checks it is past 50 metrics anyway.
 */
export const CW_PER_STANDARD_ALARM_MONTH = 0.10;
export const CW_PER_DASHBOARD_MONTH = 3.00;

/**
 * AWS KMS: $1.00 a month per customer managed key, prorated hourly. Source: https://aws.amazon.com/kms/pricing/
 * (2025). With automatic rotation, on for every Vantage key, each of the first two rotations adds $1 a
 * month and later ones are free (the rotation price cap of 2024-05): a key is $1 in its first year and
 * $3 from its third. This is the first year's figure. Requests ($0.03 per 10,000) are left out: the
 * only ones are SNS's data keys for the few alert and alarm publishes of a month.
 */
export const KMS_PER_KEY_MONTH = 1.00;

/**
 * CloudWatch Synthetics: $0.0012 per canary run. Source: https://aws.amazon.com/cloudwatch/pricing/
 * ("Canaries", 2025). The canary's own Lambda, S3 artifacts and logs are billed on top; they are not
 * added here, so the comparison flatters Synthetics.
 */
export const SYNTHETICS_PER_CANARY_RUN = 0.0012;

/** AWS's month for pricing: 730 hours. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** Shown with every estimate, so a figure is never read as a quote. */
export const PRICE_NOTE = 'us-east-1 on-demand list prices (AWS pricing pages, 2024-11 to 2025), not re-verified online; free tiers not applied';
