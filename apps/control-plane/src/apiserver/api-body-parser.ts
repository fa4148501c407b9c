import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MAX_BODY_BYTES, readLimitedBody } from '@flotilla/apiserver';

/**
 * Request bodies reach the API handler as raw bytes whatever their content type (JSON, the
 * patch types), so malformed JSON, unsupported media types and bodies over 3 MiB get Kubernetes
 * Status answers instead of Fastify's own.
 */
export function installApiBodyParser(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_req, payload, done) => {
    readLimitedBody(payload, MAX_BODY_BYTES).then(
      (body) => done(null, body),
      (err: Error) => done(err, undefined),
    );
  });
  // Nest registers its JSON parser at init unless one was registered through it.
  app.useBodyParser('application/x-flotilla-unused');
}
