// Bundled for Node by build-demo.mjs (esbuild), only to print the OpenAPI document of the worker's routes.
import { buildOpenApiDocument } from '../src/http/openapi-document.ts'
import { API_ROUTES } from '../src/routes/index.ts'
import { ROUTE_DOCS } from '../src/routes/route-docs.ts'

export const document = buildOpenApiDocument(API_ROUTES, ROUTE_DOCS)
