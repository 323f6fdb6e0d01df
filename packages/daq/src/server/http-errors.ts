/**
 * Every error the HTTP layer returns is JSON `{ error, message, field? }`. Malformed or oversized requests are 400
 * and name the offending field (`body` for an unparsable or too large body, the parameter for a schema failure).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FitsError } from '@daqsim/fits';
import { DaqError } from '../errors.js';

export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** The field an ajv error is about: the extra or missing property, else the path of the bad value. */
export function fieldOf(e: AjvError, context: string | undefined): string {
  const p = e.params ?? {};
  const path = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const extra = typeof p.additionalProperty === 'string' ? p.additionalProperty : typeof p.missingProperty === 'string' ? p.missingProperty : undefined;
  if (extra !== undefined) return path ? `${path}.${extra}` : extra;
  return path || context || 'body';
}

const DAQ_STATUS: Record<string, number> = { NOT_FOUND: 404, UNAUTHORIZED: 401, BAD_REQUEST: 400, BAD_CONFIG: 400 };

export function errorReply(err: FastifyError | Error, _req: FastifyRequest, reply: FastifyReply): void {
  const f = err as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (f.validation && f.validation.length > 0) {
    const first = f.validation[0]!;
    const field = fieldOf(first, f.validationContext);
    const message =
      first.keyword === 'additionalProperties'
        ? `unknown field ${field}`
        : first.keyword === 'required'
          ? `missing required field ${field}`
          : `${field} ${first.message ?? 'is invalid'}`;
    void reply.code(400).send({ error: 'bad request', message, field } satisfies ErrorBody);
    return;
  }
  if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    void reply.code(400).send({ error: 'bad request', message: 'request body too large', field: 'body' } satisfies ErrorBody);
    return;
  }
  if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    void reply.code(400).send({ error: 'bad request', message: 'body must be application/json', field: 'content-type' } satisfies ErrorBody);
    return;
  }
  if (err instanceof DaqError) {
    void reply.code(DAQ_STATUS[err.code] ?? 500).send({ error: err.code.toLowerCase().replace('_', ' '), message: err.message, ...(err.field ? { field: err.field } : {}) } satisfies ErrorBody);
    return;
  }
  if (err instanceof FitsError) {
    void reply.code(422).send({ error: 'unreadable file', message: err.message } satisfies ErrorBody);
    return;
  }
  const status = typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500 ? 400 : 500;
  void reply.code(status).send({ error: status === 400 ? 'bad request' : 'internal error', message: err.message, ...(status === 400 ? { field: 'body' } : {}) } satisfies ErrorBody);
}
