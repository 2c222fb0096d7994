/** Lotus chain formats and rules: transactions, sighash, scripts, addresses, fees, verification. */
export * from './errors.ts';
export * from './transaction.ts';
export * from './merkle.ts';
export * from './sighash.ts';
export * from './opcodes.ts';
export * from './script.ts';
export * from './templates.ts';
export * from './network.ts';
export * from './address.ts';
export * from './policy.ts';
export * from './fees.ts';
export * from './coin-selection.ts';
export * from './signer.ts';
export * from './unsigned-spend.ts';
export * from './interpreter.ts';
export * from './replay-side.ts';
export * from './script-errors.ts';
