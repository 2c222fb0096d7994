/**
 * Routes `crypto.getRandomValues` — which every random byte in Petal comes from (noble's
 * `randomBytes`: MuSig2 nonces, Schnorr aux, frame nonces, proposal salts, election reveals) —
 * through the run's seeded generator, so a run is a pure function of its seed. Installed for the
 * duration of one simulated run in this process only, and restored afterwards.
 *
 * Nonce safety does not depend on this being secret: the generator's stream never repeats within
 * a run, and a restarted member draws later values of the same stream, never earlier ones.
 *
 * One exception: noble blinds secret scalar multiplications with 16 random bytes, and whether a
 * multiplication is blinded depends on which tables earlier runs left warm. Blinding never changes
 * a result, so 16-byte requests (Petal's own draws are 24 and 32 bytes on this path) go to the
 * platform's generator: otherwise a run would depend on what ran before it in the process.
 */
const BLINDING_BYTES = 16;
import type { Prng } from './prng.ts';

export function withSeededCrypto<T>(prng: Prng, run: () => Promise<T>): Promise<T> {
  const crypto = globalThis.crypto;
  const own = Object.getOwnPropertyDescriptor(crypto, 'getRandomValues');
  const platform = crypto.getRandomValues.bind(crypto);
  Object.defineProperty(crypto, 'getRandomValues', {
    configurable: true,
    writable: true,
    value: <A extends ArrayBufferView | null>(array: A): A => {
      if (!array) return array;
      if (array.byteLength === BLINDING_BYTES)
        return platform(array as ArrayBufferView<ArrayBuffer>) as A;
      prng.fill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return array;
    },
  });
  const restore = () => {
    if (own) Object.defineProperty(crypto, 'getRandomValues', own);
    else delete (crypto as { getRandomValues?: unknown }).getRandomValues;
  };
  return run().finally(restore);
}
