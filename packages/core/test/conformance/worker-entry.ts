// The smallest worker the Cloudflare vitest plugin can load; the suite imports the core itself.
export default { fetch: (): Response => new Response(null, { status: 204 }) }
