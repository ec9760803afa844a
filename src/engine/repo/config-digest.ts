/** @module The digest of the effective config, recorded with each task so a weakened contract shows. */
import canonicalize from 'canonicalize';
import { digestedConfig, type Config } from '../../core/config.ts';
import { sha256Hex } from './files.ts';

const cache = new WeakMap<Config, string>();

export function configDigest(config: Config): string {
  let d = cache.get(config);
  if (!d) {
    d = sha256Hex(canonicalize(digestedConfig(config)) ?? '');
    cache.set(config, d);
  }
  return d;
}
