/**
 * The floor under a browser round of `npm run bench:network`, measured in the same run and in the
 * same browsers, so a round can be read against what no protocol can avoid:
 * - echo: the round trip of a 400-byte message over a plain WebRTC data channel between two of
 *   the browsers (loopback, no libp2p, no relay), median of 20;
 * - durable write: one IndexedDB transaction with `durability: 'strict'` in an extension page,
 *   as the wallet's session markers are written, median of 10;
 * - MuSig2: one member's work at the round's n (bench/member-cases.ts) in a page of the browser.
 */
import type { Page } from 'playwright-core';
import type { LaunchedExtension } from '../test/e2e/harness.ts';
import { serveBenchPage } from './browser/serve.ts';

export interface Floor {
  echoMs: number;
  writeMs: number;
  musigMs: number;
}

/** RTCPeerConnection state kept in a page between evaluate calls. */
type Held = { pc: RTCPeerConnection; channel?: RTCDataChannel };

async function echo(a: Page, b: Page): Promise<number> {
  // Each side waits for its ICE candidates, so one offer and one answer carry them all.
  const offer = await a.evaluate(async () => {
    const pc = new RTCPeerConnection();
    const channel = pc.createDataChannel('floor');
    (globalThis as unknown as { petalFloor: Held }).petalFloor = { pc, channel };
    await pc.setLocalDescription(await pc.createOffer());
    while (pc.iceGatheringState !== 'complete') await new Promise((r) => setTimeout(r, 10));
    return pc.localDescription?.toJSON() as RTCSessionDescriptionInit;
  });
  const answer = await b.evaluate(async (offer) => {
    const pc = new RTCPeerConnection();
    pc.addEventListener('datachannel', ({ channel }) => {
      channel.onmessage = (e) => channel.send(e.data as ArrayBuffer);
    });
    (globalThis as unknown as { petalFloor: Held }).petalFloor = { pc };
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    while (pc.iceGatheringState !== 'complete') await new Promise((r) => setTimeout(r, 10));
    return pc.localDescription?.toJSON() as RTCSessionDescriptionInit;
  }, offer);
  const ms = await a.evaluate(async (answer) => {
    const { pc, channel } = (globalThis as unknown as { petalFloor: Held }).petalFloor;
    const ch = channel as RTCDataChannel;
    ch.binaryType = 'arraybuffer';
    await pc.setRemoteDescription(answer);
    if (ch.readyState !== 'open')
      await new Promise((open) => ch.addEventListener('open', open, { once: true }));
    const times: number[] = [];
    const payload = new Uint8Array(400);
    for (let i = 0; i < 21; i++) {
      const start = performance.now();
      await new Promise((back) => {
        ch.addEventListener('message', back, { once: true });
        ch.send(payload);
      });
      if (i > 0) times.push(performance.now() - start); // the first warms the path
    }
    pc.close();
    return times.sort((x, y) => x - y)[times.length >> 1] as number;
  }, answer);
  await b.evaluate(() => (globalThis as unknown as { petalFloor: Held }).petalFloor.pc.close());
  return ms;
}

async function durableWrite(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const name = 'petal-bench-floor';
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('writes');
      req.onsuccess = () => ok(req.result);
      req.onerror = () => fail(req.error);
    });
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const start = performance.now();
      await new Promise((ok, fail) => {
        const tx = db.transaction('writes', 'readwrite', { durability: 'strict' });
        tx.objectStore('writes').put(new Uint8Array(512), i);
        tx.oncomplete = ok;
        tx.onerror = () => fail(tx.error);
      });
      times.push(performance.now() - start);
    }
    db.close();
    indexedDB.deleteDatabase(name);
    return times.sort((x, y) => x - y)[times.length >> 1] as number;
  });
}

async function musigWork(ext: LaunchedExtension, n: number): Promise<number> {
  const server = await serveBenchPage();
  const page = await ext.context.newPage();
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => 'runMemberWork' in window);
    return await page.evaluate(
      ({ n }) =>
        (window as unknown as { runMemberWork(n: number, ms: number): number }).runMemberWork(
          n,
          400,
        ),
      { n },
    );
  } finally {
    await page.close();
    await server.close();
  }
}

/** The floor for an n-member round between `exts`, whose extension pages are `pages`. */
export async function browserFloor(
  exts: LaunchedExtension[],
  pages: Page[],
  n: number,
): Promise<Floor> {
  const [a, b] = pages as [Page, Page];
  return {
    echoMs: await echo(a, b),
    writeMs: await durableWrite(a),
    musigMs: await musigWork(exts[0] as LaunchedExtension, n),
  };
}

/** "floor: …" text printed beside a round: the three parts, their sum and the round's ratio. */
export function floorText(roundMs: number, f: Floor): string {
  const sum = f.echoMs + f.writeMs + f.musigMs;
  return `floor ${sum.toFixed(1)} ms (echo ${f.echoMs.toFixed(1)} + write ${f.writeMs.toFixed(1)} + MuSig2 ${f.musigMs.toFixed(1)}), round/floor ${(roundMs / sum).toFixed(1)}×`;
}
