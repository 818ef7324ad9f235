export { DEFAULT_ASSUMPTIONS, DEPLOYED, estimateMonthlyCost, representativeResult, resultItemBytesOf, type CostAssumptions, type CostEstimate, type CostLine, type CostService, type FixedAtInterval, type FixedScope, type LocationCost, type OutageCost } from './estimate.ts';
export { attributeValueBytes, dynamoItemBytes, writeUnits } from './item-size.ts';
export * as PRICES from './prices.ts';
