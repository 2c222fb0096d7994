export * from './errors.ts';
export * from './envelope.ts';
export * from './methods.ts';
export * from './network-methods.ts';
export * from './signing-methods.ts';
export * from './router.ts';
export * from './client.ts';
