import { Scalar } from '@scalar/hono-api-reference'
import { Hono } from 'hono'
import type { AppEnv } from '../app.ts'

/** `GET /docs`: interactive API reference (Scalar) reading /openapi.json; the browser loads Scalar's script. */
export const docs = new Hono<AppEnv>().get(
  '/docs',
  Scalar({ url: '/openapi.json', pageTitle: 'plex-auth worker API' }),
)
