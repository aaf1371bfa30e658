// Types of decide.mjs for the TypeScript that tests it (the .mjs itself stays plain JavaScript
// so that Node 18 can run it).
export declare const MIN_NODE: { readonly major: number; readonly minor: number };
export declare const DEFAULT_NODE_VERSION: string;
export declare function nodeIsRecentEnough(version: string): boolean;
export declare function nodeCachePaths(
  env: Record<string, string | undefined>,
  home: string,
): { version: string; prefix: string; bin: string };
export declare function needsNpmCi(lockMtimeMs: number, installedMtimeMs: number | undefined): boolean;
export declare function parseJavaMajor(output: string): number | undefined;
export declare function isTask(name: string): boolean;
export declare function toolsFor(task: string, args: readonly string[]): ('java' | 'maven' | 'openssl')[];
export declare function commandFor(task: string, args: readonly string[]): string[];
export declare function missingToolLine(tool: string, found: string | undefined): string;
