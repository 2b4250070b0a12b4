// @ts-check
/** `loop:clock/clock` — provider `performance`: wall clock in ms, monotonic clock in ns. */
export function createClock() {
  const origin = performance.timeOrigin;
  return {
    'loop:clock/clock': {
      now: () => BigInt(Math.floor(origin + performance.now())),
      monotonic: () => BigInt(Math.round(performance.now() * 1e6)),
    },
  };
}
