import { apiCommand, apiGroup } from './api/api-command.js';
import { approveCommand, rejectCommand, recommendationsCommand } from './cluster/recommendations-command.js';
import { placementCommand } from './cluster/placement-command.js';
import type { Command } from './command.js';
import { optInCommand, optOutCommand, optOutsCommand, pauseCommand, resumeCommand } from './control/stop-commands.js';
import { enginesCommand, hostsCommand, maintenanceCommand, vmsCommand } from './inventory/hosts-command.js';
import { statusCommand } from './inventory/status-command.js';
import { labCommand } from './lab/lab-command.js';
import { auditCommand, tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './security/token-commands.js';
import { decisionsCommand } from './policy/policy-command.js';
import { policyApplyCommand, policyGetCommand, policyHistoryCommand } from './policy/policy-doc-command.js';
import { eventsCommand } from './events/events-command.js';
import { policyReplayCommand } from './policy/policy-replay-command.js';

/** The jobs commands read the job-type registry (@ballast/domain, zod): loaded only when `jobs` runs. */
const jobsCommands = async () => {
  const m = await import('./jobs/jobs-command.js');
  return [m.jobsSubmitCommand, m.jobsGetCommand, m.jobsListCommand, m.jobsCancelCommand];
};

/**
 * Every top-level subcommand. An operator command over the engine's HTTP API is an ApiCommandDef
 * (api/api-command.ts) in a folder by topic, listed here with apiCommand (or apiGroup for `<name> <sub>`).
 */
export const commands: readonly Command[] = [
  apiCommand(statusCommand),
  apiCommand(hostsCommand),
  apiCommand(vmsCommand),
  apiCommand(enginesCommand),
  apiGroup('jobs', 'manual jobs: jobs submit <type> … [--wait], jobs get <id>, jobs list [filters], jobs cancel <id>', jobsCommands),
  apiCommand(decisionsCommand),
  apiCommand(recommendationsCommand),
  apiCommand(approveCommand),
  apiCommand(rejectCommand),
  apiCommand(maintenanceCommand),
  apiCommand(placementCommand),
  apiCommand(pauseCommand),
  apiCommand(resumeCommand),
  apiCommand(optOutCommand),
  apiCommand(optInCommand),
  apiCommand(optOutsCommand),
  apiGroup('policy', 'the versioned policy document: policy get, policy apply -f <file>, policy history; what-if: policy replay -f <doc>', async () => [policyGetCommand, policyApplyCommand, policyHistoryCommand, policyReplayCommand]),
  apiGroup('token', 'API tokens with roles (admin): token create --role … --name …, token list, token revoke <id>', async () => [tokenCreateCommand, tokenListCommand, tokenRevokeCommand]),
  apiCommand(auditCommand),
  apiCommand(eventsCommand),
  labCommand,
];

export const API_HELP = `The commands but lab talk to the policy engine's HTTP API. Tables by default, -o json for the API's JSON.
  API URL: --api-url, else BALLAST_API_URL, else the config file's apiUrl, else http://127.0.0.1:8080
  token (every call; its role — viewer, operator, admin — decides what it may do): --token, else BALLAST_API_TOKEN, else the file BALLAST_API_TOKEN_FILE names, else the
    config file's token, else /var/lib/ballast/api-token when readable (the engine's own)
  config file: BALLAST_CLI_CONFIG, else $XDG_CONFIG_HOME/ballast/cli.json, else ~/.config/ballast/cli.json,
    JSON {"apiUrl": "…", "token": "…"}
exit codes: 0 ok; 1 the operation failed (a job failed, the engine is unhealthy); 2 usage error;
  3 the API cannot be reached; 4 the API refused the request (its message and field are printed)`;

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: ballast <command> [args]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "run 'ballast <command> --help' (or 'ballast <command> help' for jobs, policy and lab) for a command's usage",
    '',
    API_HELP,
  ].join('\n');
}
