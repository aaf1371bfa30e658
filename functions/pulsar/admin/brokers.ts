import type { AdminHttp } from './http.ts';

export class BrokersApi {
  readonly #http: AdminHttp;
  constructor(http: AdminHttp) {
    this.#http = http;
  }
  /** Resolves when the broker can write and read its health-check topic; throws otherwise. */
  async healthCheck(): Promise<void> {
    await this.#http.request('GET', '/admin/v2/brokers/health', { text: true });
  }
  /** Resolves when the broker is ready to serve (lighter than healthCheck). */
  async ready(): Promise<void> {
    await this.#http.request('GET', '/admin/v2/brokers/ready', { text: true });
  }
}
