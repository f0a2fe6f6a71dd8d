import { Command } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { registerAdminCommands } from './admin-commands.ts';
import { registerAlertCommands } from './alert-commands.ts';
import { registerAuditCommands } from './audit-commands.ts';
import { registerClientCommands } from './client-commands.ts';
import { registerDoctorCommand } from './doctor-command.ts';
import { registerIncidentCommands } from './incident-commands.ts';
import { registerIntegratorCommands } from './integrator-commands.ts';
import { registerKeyCommands } from './key-commands.ts';
import { registerPurgeCommand } from './purge-command.ts';
import { registerReloadCommand } from './reload-command.ts';
import { registerReportCommand } from './report-command.ts';
import { registerScanCommand } from './scan-command.ts';
import { registerServeCommand } from './serve-command.ts';
import { timelineCommand } from './timeline-command.ts';
import { registerWebhookCommands } from './webhook-commands.ts';

/** The whole `gatehouse` command tree (built apart from running it, so tests can walk it). */
export function buildProgram(): Command {
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
  registerDoctorCommand(program);
  registerIncidentCommands(program).addCommand(timelineCommand());
  registerReportCommand(program);
  return program;
}
