/**
 * zarrita's `zstd` codec for the notebook widget's bundle: decompression only, in pure
 * JavaScript (fzstd, ~8 kB) instead of numcodecs' WebAssembly build (~750 kB with its
 * compressor). The store service writes `bytes` + `zstd` (docs/store-format.md); the
 * widget only reads. Bundled in place of `numcodecs/zstd` (package.json, build:widget).
 */
import { decompress } from 'fzstd';

export default class Zstd {
  static codecId = 'zstd';

  static fromConfig(): Zstd {
    return new Zstd();
  }

  decode(data: Uint8Array): Uint8Array {
    return decompress(data);
  }

  encode(): Uint8Array {
    throw new Error('the roman-lab notebook widget reads zarr stores; it does not write them');
  }
}
