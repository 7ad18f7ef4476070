/**
 * How much compressed input code fed to fflate's streaming inflaters: a
 * bomb test asserts that a bounded inflate stopped early by this count, not
 * by a time limit that a loaded machine can miss.
 */
import { Inflate, Unzlib } from 'fflate';
import { vi } from 'vitest';

export async function compressedBytesFed(run: () => unknown): Promise<number> {
  let fed = 0;
  const count = (chunk: Uint8Array) => {
    fed += chunk.length;
  };
  const spies = [Inflate, Unzlib].map((Stream) => {
    const push = Stream.prototype.push;
    return vi.spyOn(Stream.prototype, 'push').mockImplementation(function (this: InstanceType<typeof Stream>, chunk: Uint8Array, final?: boolean) {
      count(chunk);
      return push.call(this, chunk, final);
    });
  });
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return fed;
}
