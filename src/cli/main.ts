import { Command } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { registerAdminCommands } from './admin-commands.ts';
import { registerAlertCommands } from './alert-commands.ts';
import { registerAuditCommands } from './audit-commands.ts';
import { registerClientCommands } from './client-commands.ts';
import { registerIntegratorCommands } from './integrator-commands.ts';
import { registerKeyCommands } from './key-commands.ts';
import { registerPurgeCommand } from './purge-command.ts';
import { registerReloadCommand } from './reload-command.ts';
import { registerReportCommand } from './report-command.ts';
import { registerScanCommand } from './scan-command.ts';
import { registerServeCommand } from './serve-command.ts';
import { timelineCommand } from './timeline-command.ts';
import { registerWebhookCommands } from './webhook-commands.ts';

const program = new Command('gatehouse')
  .description('Gatehouse: a secure API platform (keys, OAuth, gateway, audit, webhooks)')
  .version(packageJson.version, '-v, --version', 'print the version of Gatehouse')
  .showHelpAfterError();

registerServeCommand(program);
registerReloadCommand(program);
registerIntegratorCommands(program);
registerKeyCommands(program);
registerClientCommands(program);
registerAuditCommands(program);
registerAdminCommands(program);
registerWebhookCommands(program);
registerScanCommand(program);
registerAlertCommands(program);
registerPurgeCommand(program);
registerReportCommand(program);
// MERGE (w2-timeline): a stand-in `incident` group until incident-commands.ts lands; then add timelineCommand() to it.
program.command('incident').description('incident response').addCommand(timelineCommand());

await program.parseAsync(process.argv);
