/**
 * Stands in for the `debug` package in the CLI bundle (bin/cli-bundle.mjs aliases it). Only
 * secretlint's core uses it, for trace output behind DEBUG=@secretlint/*, which Gatehouse never
 * shows; the real package loads node:tty and supports-color at start-up (~5 ms, ~2 MB per run).
 */
interface Debugger {
  (...args: unknown[]): void;
  enabled: boolean;
  namespace: string;
  extend: (namespace: string) => Debugger;
}

function createDebug(namespace: string): Debugger {
  const d = (() => {}) as Debugger;
  d.enabled = false;
  d.namespace = namespace;
  d.extend = (sub: string) => createDebug(`${namespace}:${sub}`);
  return d;
}

createDebug.enabled = (_namespace: string) => false;
createDebug.enable = (_namespaces: string) => {};
createDebug.disable = () => '';

export default createDebug;
