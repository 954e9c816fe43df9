// `cloudflare:workers` for the OpenAPI build in Node: the routes import the Durable Object classes, which
// extend DurableObject; building the document never runs them.
export class DurableObject {}
