/** A failure of the broker script: what went wrong and how to fix it, plus an optional log tail. */
export class BrokerScriptError extends Error {
  readonly fix: string;
  readonly logTail: string | undefined;
  constructor(message: string, fix: string, logTail?: string) {
    super(message);
    this.name = 'BrokerScriptError';
    this.fix = fix;
    this.logTail = logTail;
  }
}
