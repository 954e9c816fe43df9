import * as v from 'valibot'
import type { ParameterSchema } from './route.ts'

/*
 * Field descriptions of request schemas, for the OpenAPI document only. The routes validate with the
 * schemas in schemas.ts as they are; a route's docs (`<route>Docs`) hand the document the same schema with
 * a description on each field. Kept out of schemas.ts because esbuild bundles every valibot call of a
 * module the worker imports (evanw/esbuild#4369): the texts would ship in the worker. This module is only
 * imported by docs, which the bundle drops.
 */

/** `schema` with `texts[name]` as the OpenAPI description of each named field. */
export function described<S extends ParameterSchema>(
  schema: S,
  texts: { [Name in keyof S['entries']]?: string },
): S {
  const entries: v.ObjectEntries = {}
  for (const [name, entry] of Object.entries(schema.entries)) {
    const text = (texts as Record<string, string | undefined>)[name]
    entries[name] = text === undefined ? entry : v.pipe(entry, v.description(text))
  }
  // Valibot's object schemas read `this.entries`, so the copy validates with the described entries.
  return { ...schema, entries }
}

/** The `server` field of POST /v1/transient-token and GET /v1/source-connection. */
export const SERVER_FIELD =
  'Origin of an allowed server (PLEX_SERVER_URL, ALLOWED_SERVER_URLS, or a connection URI from GET /v1/servers), or a server clientIdentifier from GET /v1/servers. Default PLEX_SERVER_URL.'
