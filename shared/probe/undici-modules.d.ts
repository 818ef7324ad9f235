/**
 * Types for the two undici module files the HTTP exchange imports directly (see ./http-exchange.ts):
 * undici 8 has no package `exports` map, so they resolve by path, but they ship no declarations of
 * their own. Each is the same value the package index re-exports.
 */
declare module 'undici/lib/dispatcher/client.js' {
  import type { Client } from 'undici';
  const ClientClass: typeof Client;
  export = ClientClass;
}

declare module 'undici/lib/core/connect.js' {
  import type { buildConnector } from 'undici';
  const build: typeof buildConnector;
  export = build;
}
