import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { auditContextOf } from '../audit/audit-context.ts';
import { ApiError, type FieldError } from '../http/api-error.ts';
import { withProblems } from '../http/schemas.ts';
import type { GatewayReloader } from './gateway-reloader.ts';

const Reloaded = Type.Object({
  status: Type.Literal('reloaded'),
  config_file: Type.Union([Type.String(), Type.Null()]),
  routes: Type.Integer({ description: 'Routes now served' }),
  needs_restart: Type.Array(Type.String(), {
    description: 'Settings the file changes that apply only after a restart; they keep their running values',
  }),
});

/** `POST /admin/v1/gateway/reload`: reads the gateway file again and swaps it in (O6). Admin role. */
export function registerGatewayReloadRoute(parent: FastifyInstance, reloader: GatewayReloader): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/admin/v1/gateway/reload',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['Gateway'],
        summary: 'Read the gateway file again and serve it without a restart',
        description:
          'Validates the file first; an invalid file is a 422 whose `errors` name each problem, and the running configuration stays. Requests in flight finish on the configuration they started with.',
        response: withProblems({ 200: Reloaded }),
      },
    },
    async (request) => {
      const outcome = await reloader.reload(auditContextOf(request));
      if (outcome.ok)
        return {
          status: 'reloaded' as const,
          config_file: outcome.configFile,
          routes: outcome.routes,
          needs_restart: [...outcome.needsRestart],
        };
      if (outcome.reason === 'not_running')
        throw new ApiError('gateway_not_running', 'The data path is not running; try again once it is');
      throw new ApiError(
        'gateway_config_invalid',
        `The gateway file has ${outcome.problems.length === 1 ? 'a problem' : `${outcome.problems.length} problems`}; the running configuration stays`,
        { errors: outcome.problems.map((problem) => fieldErrorOf(problem, outcome.configFile)) },
      );
    },
  );
}

/** `/srv/gatehouse.config.yaml: routes[0].path must …` → the file as `field`, the rest as `message`. */
function fieldErrorOf(problem: string, configFile: string | null): FieldError {
  if (configFile !== null) {
    for (const separator of [': ', ' ']) {
      if (problem.startsWith(configFile + separator))
        return { field: configFile, message: problem.slice(configFile.length + separator.length) };
    }
  }
  return { field: configFile ?? 'GATEHOUSE_CONFIG_FILE', message: problem };
}
