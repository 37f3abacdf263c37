/**
 * UUID version 7 (RFC 9562, section 5.7): 48 bits of Unix time in milliseconds, the
 * version, 12 bits of rand_a, the variant, 62 bits of rand_b. rand_a is a counter seeded
 * at random each millisecond (section 6.2, method 1), so ids made by one generator sort
 * in the order they were made, even within one millisecond or if the clock steps back.
 */
export type Uuid7Generator = () => string;

const COUNTER_MAX = 0xfff;

function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return `${out.slice(0, 8)}-${out.slice(8, 12)}-${out.slice(12, 16)}-${out.slice(16, 20)}-${out.slice(20)}`;
}

/** A generator with its own monotonic state; `now` is for tests. */
export function uuid7Generator(now: () => number = Date.now): Uuid7Generator {
  let lastMs = -1;
  let counter = 0;
  return function uuid7(): string {
    let ms = Math.max(Math.floor(now()), 0);
    const bytes = randomBytes(16);
    if (ms > lastMs) {
      // A fresh millisecond: seed the counter in its lower half, leaving room to count up.
      counter = ((bytes[6]! << 8) | bytes[7]!) & 0x7ff;
      lastMs = ms;
    } else {
      // Same millisecond, or the clock went back: stay on the last one and count.
      ms = lastMs;
      counter++;
      if (counter > COUNTER_MAX) {
        // Counter spent: borrow the next millisecond (section 6.2 allows it).
        lastMs = ++ms;
        counter = ((bytes[6]! << 8) | bytes[7]!) & 0x7ff;
      }
    }
    // 48-bit big-endian timestamp; Math.floor division keeps it exact beyond 32 bits.
    let rest = ms;
    for (let index = 5; index >= 0; index--) {
      bytes[index] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    bytes[6] = 0x70 | (counter >> 8);
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | (bytes[8]! & 0x3f);
    return hex(bytes);
  };
}

/** The process-wide generator. */
export const uuid7: Uuid7Generator = uuid7Generator();

/** The Unix time in milliseconds a UUID v7 carries. */
export function uuid7Time(id: string): number {
  return Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}
