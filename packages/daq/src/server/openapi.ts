/**
 * The OpenAPI 3.1 description served at /api/v1/openapi.json. Written by hand next to the routes (a test checks
 * that every registered route is described); command bodies and the fault body reuse the schemas the server
 * validates with, so they cannot drift.
 */
import { COMMANDS, bodySchema } from '../commands.js';
import { DAQSIM_VERSION } from '../csc.js';
import { dashboardPaths } from '../dashboard/openapi.js';
import { FAULT_SCHEMA } from '../faults.js';
import { CSC_NAMES } from '../profiles.js';

type Doc = Record<string, unknown>;

const json = (schema: Doc, description = ''): Doc => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string): Doc => ({ $ref: `#/components/schemas/${name}` });
const errors = {
  '400': json(ref('Error'), 'Malformed or oversized request; `field` names the offending field'),
  '404': json(ref('Error'), 'No such CSC, command, image or detector'),
};
const cscParam = { name: 'csc', in: 'path', required: true, schema: { type: 'string', enum: [...CSC_NAMES] }, description: 'ts_xml CSC name' };
const obsidParam = { name: 'obsid', in: 'path', required: true, schema: { type: 'string', pattern: '^([A-Z]{2}_[A-Z]_\\d{8}_\\d{6}|\\d{1,7})$' }, description: 'OBSID, e.g. AT_S_20251015_000001 (an integer for DC2)' };
const detectorParam = { name: 'detector', in: 'path', required: true, schema: { type: 'string', pattern: '^R[0-9X]{2}_S[A-Z0-9]{2}$' }, description: 'Rnn_Snn' };
const bearer = [{ bearer: [] }];
const sinceParam = { name: 'since', in: 'query', required: false, schema: { type: 'string', pattern: '^[0-9]+$' }, description: 'Resume after this sequence number (or send Last-Event-ID); without it the stream starts with the next event' };
const namesParam = { name: 'names', in: 'query', required: false, schema: { type: 'string' }, description: 'Comma-separated event names to receive (default all)' };

export function openApiDocument(): Doc {
  const paths: Record<string, Doc> = {};
  for (const c of COMMANDS) {
    paths[`/api/v1/{csc}/command/${c.name}`] = {
      post: {
        operationId: `command_${c.name}`,
        tags: ['commands'],
        summary: c.description,
        description:
          `ts_xml command ${c.name} (${c.cscs.join(', ')}). Answers with the final ack when the command ends, or with the first ack at once ` +
          'with ?wait=false. Acks: 301 INPROGRESS (timeout = duration estimate in s), 303 COMPLETE, -302 FAILED (result "Failed: reason"), ' +
          '-303 ABORTED (stopped), -304 TIMEOUT (no final ack within the estimate plus the grace period; the command keeps running).',
        security: bearer,
        parameters: [
          cscParam,
          { name: 'wait', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false', '1', '0'] }, description: 'false: answer with the first ack at once' },
        ],
        requestBody: { required: false, content: { 'application/json': { schema: bodySchema(c) } } },
        responses: { '200': json(ref('Ack'), 'The final ack (or the first with wait=false)'), '401': json(ref('Error'), 'Missing or wrong bearer token'), ...errors },
      },
    };
  }
  Object.assign(paths, {
    '/api/v1/health': { get: { operationId: 'health', summary: 'Liveness and the CSCs served', responses: { '200': json({ type: 'object' }) } } },
    '/api/v1/openapi.json': { get: { operationId: 'openapi', summary: 'This document', responses: { '200': json({ type: 'object' }) } } },
    '/api/v1/{csc}/state': {
      get: { operationId: 'state', summary: 'Summary and detailed states, busy command, filter, armed faults, last image', parameters: [cscParam], responses: { '200': json(ref('State')), ...errors } },
    },
    '/api/v1/{csc}/events': {
      get: {
        operationId: 'events_sse',
        summary: 'Server-Sent Events stream of the CSC events',
        description:
          'Each message: `id:` the sequence number, `event:` the ts_xml event name, `data:` its JSON fields (TAI unix seconds, plus private_sndStamp, ' +
          'private_seqNum). Resume with ?since=SEQ or Last-Event-ID. Control messages without id: `daqsim.gap` {from,to,reason} when events ' +
          'are no longer held, `daqsim.fellBehind` {lastSent, firstHeld, lastSeq} before a too-slow client is disconnected.',
        parameters: [cscParam, sinceParam, namesParam],
        responses: { '200': { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors },
      },
    },
    '/api/v1/{csc}/events/ws': {
      get: {
        operationId: 'events_ws',
        summary: 'WebSocket stream of the CSC events (msgpack frames)',
        description: 'Upgrade to WebSocket. Binary msgpack frames: {kind:"event", seq, name, data}, {kind:"gap", from, to, reason}, {kind:"fellBehind", ...} (then close 1008). Resume as for SSE.',
        parameters: [cscParam, sinceParam, namesParam],
        responses: { '101': { description: 'Switching protocols' }, ...errors },
      },
    },
    '/api/v1/{csc}/faults': {
      get: { operationId: 'faults_list', summary: 'Armed faults', parameters: [cscParam], responses: { '200': json({ type: 'array', items: ref('ArmedFault') }), ...errors } },
      post: {
        operationId: 'faults_arm',
        summary: 'Arm a scripted fault',
        description: 'Each time the fault fires the CSC publishes a faultInjected event and a WARNING logMessage.',
        security: bearer,
        parameters: [cscParam],
        requestBody: { required: true, content: { 'application/json': { schema: ref('FaultSpec') } } },
        responses: { '200': json(ref('ArmedFault')), '401': json(ref('Error')), ...errors },
      },
      delete: { operationId: 'faults_clear', summary: 'Disarm every fault', security: bearer, parameters: [cscParam], responses: { '200': json({ type: 'object', properties: { cleared: { type: 'integer' } } }), ...errors } },
    },
    '/api/v1/{csc}/faults/{id}': {
      delete: {
        operationId: 'fault_clear',
        summary: 'Disarm one fault',
        security: bearer,
        parameters: [cscParam, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json({ type: 'object', properties: { cleared: { type: 'integer' } } }), ...errors },
      },
    },
    '/api/v1/notifications': {
      get: { operationId: 'notifications', summary: 'Delivery counters and the notifications that failed after every retry', responses: { '200': json({ type: 'object' }) } },
    },
    '/api/v1/notifications/retry': {
      post: { operationId: 'notifications_retry', summary: 'Send the failed notifications again', security: bearer, responses: { '200': json({ type: 'object', properties: { requeued: { type: 'integer' } } }) } },
    },
    '/api/v1/images/{obsid}': {
      get: { operationId: 'image_files', summary: "An exposure's files", parameters: [obsidParam], responses: { '200': json(ref('ImageFiles')), ...errors } },
    },
    '/api/v1/images/{obsid}/{detector}': {
      get: {
        operationId: 'image_ccd',
        summary: "One CCD's FITS file",
        parameters: [obsidParam, detectorParam],
        responses: { '200': { description: 'The file', content: { 'application/fits': { schema: { type: 'string', format: 'binary' } } } }, ...errors },
      },
    },
    '/api/v1/images/{obsid}/{detector}/{amp}': {
      get: {
        operationId: 'image_amp',
        summary: 'One amplifier as ImageBytes (ASCOM Alpaca layout)',
        description:
          '44-byte little-endian header: MetadataVersion=1, ErrorNumber, ClientTransactionID, ServerTransactionID, DataStart=44, ImageElementType=2 (Int32), ' +
          'TransmissionElementType=2, Rank=2, Dimension1=NumX (NAXIS1), Dimension2=NumY (NAXIS2), Dimension3=0; then int32 LE pixels in Alpaca order ' +
          '(Y fastest: element (x,y) at x*NumY+y).',
        parameters: [
          obsidParam,
          detectorParam,
          { name: 'amp', in: 'path', required: true, schema: { type: 'string', pattern: '^(C|Segment)[0-9]{2}$' }, description: 'C10 or Segment10' },
          { name: 'ClientTransactionID', in: 'query', required: false, schema: { type: 'string', pattern: '^[0-9]+$' } },
        ],
        responses: { '200': { description: 'ImageBytes', content: { 'application/imagebytes': { schema: { type: 'string', format: 'binary' } } } }, '422': json(ref('Error'), 'The file cannot be read (truncated, missing amp)'), ...errors },
      },
    },
  });
  Object.assign(paths, dashboardPaths());
  return {
    openapi: '3.1.0',
    info: {
      title: 'daqsim DAQ emulator',
      version: DAQSIM_VERSION,
      description: 'Rubin camera CSCs (ATCamera, CCCamera, MTCamera) with ts_xml command and event names, emulated DAQ, file store and arrival notifications.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required for commands and faults when the server is not bound to loopback (or a token is set)' } },
      schemas: {
        Ack: {
          type: 'object',
          required: ['ack', 'error', 'result', 'timeout'],
          properties: {
            cmdId: { type: 'integer' },
            command: { type: 'string' },
            ack: { type: 'integer', description: 'SalRetCode: 301 INPROGRESS, 303 COMPLETE, -302 FAILED, -303 ABORTED, -304 TIMEOUT' },
            error: { type: 'integer' },
            result: { type: 'string' },
            timeout: { type: 'number', description: 'Duration estimate [s]' },
          },
        },
        Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } },
        State: { type: 'object', description: 'csc, camera, summaryState, detailedStates, busy, calibrationImage, filter, playlist, faults, lastImageName, eventSeq, notifications' },
        FaultSpec: FAULT_SCHEMA,
        ArmedFault: { allOf: [FAULT_SCHEMA, { type: 'object', properties: { id: { type: 'string' }, fired: { type: 'integer' } } }] },
        ImageFiles: {
          type: 'object',
          properties: {
            obsId: { type: 'string' },
            instrument: { type: 'string' },
            dayObs: { type: 'integer' },
            files: { type: 'array', items: { type: 'object', properties: { detector: { type: 'string' }, key: { type: 'string' }, size: { type: 'integer' }, url: { type: 'string' }, sidecar: { type: 'string' } } } },
          },
        },
      },
    },
  };
}
