import { relative } from 'node:path';
import type { Config } from '../server/config.ts';
import type { RunningGatehouse } from '../server/gatehouse.ts';

/**
 * What a person sees on the terminal after `npm start`: where things listen and how to make a first
 * call. A generated owner token appears here once and is never logged.
 */
export function firstCallHelp(config: Config, gatehouse: RunningGatehouse): string {
  const caFile = gatehouse.developmentCaFile;
  const ca =
    caFile && !relative(process.cwd(), caFile).startsWith('..') ? relative(process.cwd(), caFile) : caFile;
  const curlTls = ca ? `--cacert ${ca} ` : '';
  const lines = [
    '',
    `Gatehouse is running (${config.mode} mode, ${gatehouse.services.database.dialect} storage)`,
    `  data path  ${gatehouse.dataUrl}`,
    `  admin API  ${gatehouse.adminUrl}   (OpenAPI: ${gatehouse.adminUrl}/admin/v1/openapi.json)`,
  ];
  if (ca) lines.push(`  TLS        development certificate; clients trust ${ca}`);
  if (gatehouse.generatedOwnerToken) {
    lines.push(
      '',
      'Owner admin token (shown only this once; store it in your secret manager):',
      `  ${gatehouse.generatedOwnerToken}`,
    );
  } else if (!config.adminToken) {
    lines.push(
      '',
      'No admin token was generated here. Set GATEHOUSE_ADMIN_TOKEN, or run: npm run gatehouse -- admin token create --name me --role owner',
    );
  }
  lines.push(
    '',
    'First call: create an integrator, then an API key for it',
    '  export GATEHOUSE_ADMIN_TOKEN=<the owner token>',
    `  curl ${curlTls}-H "Authorization: Bearer $GATEHOUSE_ADMIN_TOKEN" -H 'content-type: application/json' \\`,
    `       -d '{"name":"Acme Corp"}' ${gatehouse.adminUrl}/admin/v1/integrators`,
    `  curl ${curlTls}-H "Authorization: Bearer $GATEHOUSE_ADMIN_TOKEN" -H 'content-type: application/json' \\`,
    `       -d '{"integrator_id":"<id from above>","name":"first key","environment":"sandbox","scopes":["orders:read"]}' \\`,
    `       ${gatehouse.adminUrl}/admin/v1/keys`,
    'Then call your API through the gateway with that key',
    `  curl ${curlTls}-H "X-API-Key: <the key>" ${gatehouse.dataUrl}/v1/orders`,
  );
  if (config.gateway.routes.length === 0 || config.gateway.environments.sandbox.upstream === null) {
    lines.push(
      '  (first give the gateway a route and an upstream in gatehouse.config.yaml, as in gatehouse.config.example.yaml,',
      '   then load it without a restart: npm run gatehouse -- reload)',
    );
  }
  lines.push('');
  return `${lines.join('\n')}\n`;
}
