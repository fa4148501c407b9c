import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthEndpoint, HealthRegistry } from '../health/health-registry';
import { HealthResponse, renderHealthReport, renderSingleCheck } from '../health/render-health';

type HealthQuery = Record<string, string | string[] | undefined>;

@Controller()
export class HealthController {
  // Explicit tokens everywhere: transpilers without decorator metadata (tsx) must work too.
  constructor(@Inject(HealthRegistry) private readonly registry: HealthRegistry) {}

  @Get('healthz')
  healthz(@Query() query: HealthQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.all('healthz', query, reply);
  }

  @Get('livez')
  livez(@Query() query: HealthQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.all('livez', query, reply);
  }

  @Get('readyz')
  readyz(@Query() query: HealthQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.all('readyz', query, reply);
  }

  @Get('healthz/:check')
  healthzOne(@Param('check') name: string, @Res() reply: FastifyReply): Promise<void> {
    return this.one('healthz', name, reply);
  }

  @Get('livez/:check')
  livezOne(@Param('check') name: string, @Res() reply: FastifyReply): Promise<void> {
    return this.one('livez', name, reply);
  }

  @Get('readyz/:check')
  readyzOne(@Param('check') name: string, @Res() reply: FastifyReply): Promise<void> {
    return this.one('readyz', name, reply);
  }

  private async all(endpoint: HealthEndpoint, query: HealthQuery, reply: FastifyReply) {
    const report = await this.registry.run(endpoint, excludesOf(query));
    send(reply, renderHealthReport(report, query.verbose !== undefined));
  }

  private async one(endpoint: HealthEndpoint, name: string, reply: FastifyReply) {
    send(reply, renderSingleCheck(name, await this.registry.runNamed(endpoint, name)));
  }
}

/** `?exclude=a&exclude=b` as Kubernetes takes it; `?exclude=a,b` accepted too. */
function excludesOf(query: HealthQuery): string[] {
  const raw = query.exclude;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.flatMap((v) => v.split(',')).filter((v) => v.length > 0);
}

function send(reply: FastifyReply, response: HealthResponse): void {
  void reply
    .code(response.status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(response.body);
}
