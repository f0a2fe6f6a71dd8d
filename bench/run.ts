/** `npm run bench`: the micro-benchmarks, each beside a baseline measured in the same run. */
import { benchAudit } from './audit.ts';
import { benchCredentials } from './credentials.ts';
import { benchOAuth } from './oauth.ts';

console.log(`Node ${process.version}, ${new Date().toISOString()}`);
await benchCredentials();
await benchAudit();
await benchOAuth();
