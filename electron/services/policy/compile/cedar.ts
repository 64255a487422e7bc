import { createRequire } from 'node:module';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';

/**
 * cedar-wasm's Node build (CommonJS, reads its .wasm next to itself), loaded once and lazily so
 * modules that only parse or validate documents do not pay for instantiating the engine.
 */
type Cedar = typeof CedarWasm;
let loaded: Cedar | undefined;
export function cedar(): Cedar {
  loaded ??= createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as Cedar;
  return loaded;
}
