/**
 * Stands in for numcodecs' blosc and lz4 in the notebook widget's bundle (their WebAssembly
 * is ~640 kB): roman-lab stores are zstd-compressed (docs/store-format.md).
 */
export default class Unsupported {
  static fromConfig(): never {
    throw new Error('this zarr store uses a codec the roman-lab notebook widget does not bundle (it reads zstd stores)');
  }
}
