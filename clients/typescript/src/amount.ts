// Credits without floating point: a decimal string of credits ("12.5", at most 6 decimals)
// or a bigint of micro-credits (12_500_000n). A JavaScript number never carries an amount.

/** 1 credit = 1,000,000 micro-credits. */
export const MICRO_PER_CREDIT = 1_000_000n;

/** What a request accepts: a decimal string of credits, or a bigint of micro-credits. */
export type AmountInput = string | bigint;

const decimal = /^(-?)([0-9]+)(?:\.([0-9]{1,6}))?$/;

/** "12.5" -> 12500000n. Throws RangeError on anything that is not a decimal with <= 6 places. */
export function toMicro(credits: string): bigint {
  const m = decimal.exec(credits);
  if (!m) throw new RangeError(`not a decimal amount of credits (at most 6 decimals): ${credits}`);
  const whole = BigInt(m[2]) * MICRO_PER_CREDIT;
  const frac = BigInt((m[3] ?? '').padEnd(6, '0'));
  const micro = whole + frac;
  return m[1] === '-' ? -micro : micro;
}

/** 12500000n -> "12.5": the server's own spelling (no trailing zeros, no "."). */
export function formatCredits(micro: bigint): string {
  const negative = micro < 0n;
  const abs = negative ? -micro : micro;
  const whole = abs / MICRO_PER_CREDIT;
  const frac = (abs % MICRO_PER_CREDIT).toString().padStart(6, '0').replace(/0+$/, '');
  return (negative ? '-' : '') + whole.toString() + (frac ? '.' + frac : '');
}

/** A request amount as the wire wants it: a decimal string of credits. */
export function amountToWire(amount: AmountInput): string {
  if (typeof amount === 'bigint') return formatCredits(amount);
  if (typeof amount !== 'string') {
    throw new TypeError('an amount is a decimal string of credits or a bigint of micro-credits, never a number');
  }
  toMicro(amount);  // validates
  return amount;
}
