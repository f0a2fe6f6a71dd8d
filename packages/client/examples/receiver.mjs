// Receives Gatehouse webhooks over HTTPS. Run: GATEHOUSE_WEBHOOK_SECRET=whsec_… TLS_CERT_FILE=cert.pem
// TLS_KEY_FILE=key.pem PORT=8443 node receiver.mjs   (give old and new secret, space-separated, during a rotation)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { nodeHttpWebhookHandler } from '@gatehouse/client';

const handler = nodeHttpWebhookHandler({
  secrets: process.env.GATEHOUSE_WEBHOOK_SECRET, // whsec_… from the endpoint's creation
  maxBodyBytes: 256 * 1024, // larger deliveries get 413
  logger: (receipt) => console.error(JSON.stringify(receipt)), // one redacted line per request
  onEvent: async ({ id, payload }) => {
    // Called once per verified, new webhook id; throw to have Gatehouse retry.
    console.log(JSON.stringify({ id, type: payload.type, data: payload.data }));
  },
});

const tls = { cert: readFileSync(process.env.TLS_CERT_FILE), key: readFileSync(process.env.TLS_KEY_FILE) };
const server = createServer(tls, handler).listen(Number(process.env.PORT ?? 8443), () =>
  console.error(`listening on https://localhost:${server.address().port}`),
);
process.on('SIGTERM', () => server.close());
