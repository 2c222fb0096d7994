import { render } from 'preact';
import { App } from './App.tsx';
import { runtimeClient } from '../ext/messaging.ts';

const app = document.getElementById('app');
if (app) render(<App client={runtimeClient({ timeoutMs: 10_000 })} />, app);
