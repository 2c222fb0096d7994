/// <reference types="vite/client" />
/** Which browser this bundle was built for; replaced at build time (see vite.config.ts). */
declare const __BROWSER__: 'chromium' | 'firefox';
/** The extension's version from package.json; offscreen documents cannot read the manifest. */
declare const __VERSION__: string;
