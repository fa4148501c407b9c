import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** The methods that carry a body in the Kubernetes API (OPTIONS: through nodes/proxy). */
export const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Fastify is told these methods have no body, so requests reach the API controller without
 * Fastify's content-type parsing: that step binds an AsyncResource per request (~40 µs of CPU
 * under load, most of it in Node's deprecation wrapper). The controller reads the raw bytes
 * itself, whatever their content type (JSON, the patch types, protobuf), so malformed JSON,
 * unsupported media types and bodies over 3 MiB get Kubernetes Status answers instead of
 * Fastify's own.
 */
export function installApiBodyParser(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  for (const method of BODY_METHODS) {
    fastify.addHttpMethod(method, { hasBody: false, overrideExisting: true });
  }
  fastify.removeAllContentTypeParsers();
  // Nest registers its JSON parser at init unless one was registered through it.
  app.useBodyParser('application/x-flotilla-unused');
}
