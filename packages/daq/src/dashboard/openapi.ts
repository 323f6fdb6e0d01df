/** The dashboard's routes in the OpenAPI document (server/openapi.ts merges them in). */
import { THUMBNAIL_SIZES } from './thumbnail.js';

type Doc = Record<string, unknown>;

const json = (description: string, schema: Doc = { type: 'object' }): Doc => ({ description, content: { 'application/json': { schema } } });
const error = json('Error', { $ref: '#/components/schemas/Error' });

export function dashboardPaths(): Record<string, Doc> {
  return {
    '/': {
      get: { operationId: 'dashboard_page', tags: ['dashboard'], summary: 'The live dashboard (HTML page; its ES modules load from /dashboard/)', responses: { '200': { description: 'text/html' } } },
    },
    '/dashboard/{file}': {
      get: {
        operationId: 'dashboard_file',
        tags: ['dashboard'],
        summary: "One of the dashboard's ES modules or its stylesheet",
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9-]+\\.[a-z]+$' } }],
        responses: { '200': { description: 'text/javascript or text/css' }, '304': { description: 'Not modified (ETag)' }, '404': error },
      },
    },
    '/api/v1/dashboard': {
      get: {
        operationId: 'dashboard_info',
        tags: ['dashboard'],
        summary: 'What the dashboard starts from: per CSC the camera, focal-plane layout (mm), filters, image types and pacing; the enumerations; whether commands need a token',
        responses: { '200': json('Dashboard description') },
      },
    },
    '/api/v1/stats': {
      get: {
        operationId: 'stats',
        tags: ['dashboard'],
        summary: 'Store and notification counts since start (images, files, bytes, missing; enqueued, delivered, failed, retried, queued) and per recent image when its files and notifications went out',
        responses: { '200': json('Counts per CSC') },
      },
    },
    '/api/v1/images/{obsid}/{detector}/thumbnail.png': {
      get: {
        operationId: 'image_thumbnail',
        tags: ['dashboard', 'images'],
        summary: 'One CCD as a grayscale PNG: amps assembled (DM orientation, y up), overscan removed, block-averaged, zscale-stretched',
        description: 'Rendered in a worker thread on first request and cached. Headers x-daqsim-zscale (z1,z2 in electrons) and x-daqsim-binning (CCD pixels per PNG pixel).',
        parameters: [
          { name: 'obsid', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'detector', in: 'path', required: true, schema: { type: 'string', pattern: '^R[0-9X]{2}_S[A-Z0-9]{2}$' } },
          {
            name: 'size',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: '^[0-9]+$' },
            description: `Longest side in pixels, ${THUMBNAIL_SIZES.min}..${THUMBNAIL_SIZES.max} (default ${THUMBNAIL_SIZES.default})`,
          },
        ],
        responses: {
          '200': { description: 'PNG', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } },
          '400': error,
          '404': error,
          '422': json('The file cannot be read (truncated)', { $ref: '#/components/schemas/Error' }),
        },
      },
    },
  };
}
