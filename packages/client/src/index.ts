// The public surface of @gatehouse/client. Nothing here imports server code (../../src).
export * from './webhooks/index.ts';
