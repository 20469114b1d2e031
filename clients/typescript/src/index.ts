// Tally's TypeScript client: `new TallyClient({baseUrl, apiKey})`. No runtime dependency.
export * from './amount.js';
export * from './client.js';
export * from './errors.js';
export * from './json.js';
export * from './types.js';
