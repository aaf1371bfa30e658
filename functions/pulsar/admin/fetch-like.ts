/** The `fetch` the admin client calls: Node's global fetch, or one that trusts a private CA (ca-fetch.ts). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
