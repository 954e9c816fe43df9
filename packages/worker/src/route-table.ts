/** Every path the worker serves and its methods: for 405 answers, `Allow` and CORS preflight. */
const ROUTES: [RegExp, readonly string[]][] = [
  [/^\/v1\/health$/, ['GET', 'HEAD']],
  [/^\/v1\/sign-in$/, ['POST']],
  [/^\/v1\/user$/, ['GET', 'HEAD']],
  [/^\/v1\/transient-token$/, ['POST']],
  [/^\/v1\/source-connection$/, ['GET', 'HEAD']],
  [/^\/v1\/sign-out$/, ['POST']],
  [/^\/v1\/pins$/, ['POST']],
  [/^\/v1\/pins\/[^/]+$/, ['GET', 'HEAD']],
  [/^\/v1\/sessions$/, ['POST']],
  [/^\/v1\/servers$/, ['GET', 'HEAD']],
  [/^\/openapi\.json$/, ['GET', 'HEAD']],
  [/^\/docs$/, ['GET', 'HEAD']],
  [/^\/(demo\.js|demo\.css)?$/, ['GET', 'HEAD']],
]

/** The methods of a known path, or undefined. */
export function methodsFor(path: string): readonly string[] | undefined {
  return ROUTES.find(([pattern]) => pattern.test(path))?.[1]
}
