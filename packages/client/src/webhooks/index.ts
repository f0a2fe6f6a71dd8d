// The webhook receiver half of @gatehouse/client (W6).
export {
  createSignatureFailureReporter,
  type SignatureFailureReporter,
  type SignatureFailureReporterOptions,
} from './failure-reporter.ts';
export { type FastifyWebhookOptions, fastifyWebhookPlugin } from './fastify-adapter.ts';
export { type FetchWebhookOptions, fetchWebhookHandler } from './fetch-adapter.ts';
export { expressWebhookMiddleware, nodeHttpWebhookHandler } from './node-adapter.ts';
export type { RateLimitOptions } from './rate-limiter.ts';
export { MemoryReplayCache, type ReplayCache } from './replay-cache.ts';
export { type WebhookFailureReason, WebhookVerificationError } from './verification-error.ts';
export {
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookHeaders,
} from './verify-webhook.ts';
export {
  createWebhookReceiver,
  DEFAULT_MAX_BODY_BYTES,
  type IncomingWebhook,
  type WebhookAnswer,
  type WebhookReceipt,
  type WebhookReceiverOptions,
} from './webhook-receiver.ts';
