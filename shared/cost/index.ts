export { DEFAULT_ASSUMPTIONS, estimateMonthlyCost, representativeResult, resultItemBytesOf, type CostAssumptions, type CostEstimate, type CostLine, type CostService } from './estimate.ts';
export { attributeValueBytes, dynamoItemBytes, writeUnits } from './item-size.ts';
export * as PRICES from './prices.ts';
