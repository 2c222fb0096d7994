import { describe, expect, it } from 'vitest';
import {
  pageDocumentId,
  pagePortName,
  parsePagePortName,
} from '../../../src/core/provider/page-port.ts';
import { isOpaqueOrigin } from '../../../src/core/provider/origin.ts';
import { randomUuid } from '../../../src/core/provider/uuid.ts';

describe('page ids', () => {
  it('two loads of the same page in the same tab and frame get different ids (Firefox)', () => {
    // Firefox reports no documentId: the tab, frame and URL of a reloaded page are the same.
    const sender = { tab: { id: 7 }, frameId: 0, url: 'https://dapp.example/' };
    const first = parsePagePortName(pagePortName(randomUuid()));
    const second = parsePagePortName(pagePortName(randomUuid()));
    expect(pageDocumentId(sender, first?.loadId)).not.toBe(pageDocumentId(sender, second?.loadId));
    // The same load keeps its id when its link reconnects (a re-sent request re-attaches).
    expect(pageDocumentId(sender, first?.loadId)).toBe(pageDocumentId(sender, first?.loadId));
    // No load id at all (an old content script): still never shared.
    expect(pageDocumentId(sender, undefined)).not.toBe(pageDocumentId(sender, undefined));
  });

  it('prefers the document id the browser reports', () => {
    expect(pageDocumentId({ documentId: 'D1', tab: { id: 1 }, frameId: 0 }, randomUuid())).toBe(
      'D1',
    );
  });

  it('recognises page ports and nothing else; a malformed load id is ignored', () => {
    expect(parsePagePortName('petal/page')).toEqual({});
    expect(parsePagePortName('petal/page#not-a-uuid')).toEqual({});
    expect(parsePagePortName('petal/wallet-view')).toBeUndefined();
    const id = randomUuid();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parsePagePortName(pagePortName(id))).toEqual({ loadId: id });
  });
});

describe('opaque origins', () => {
  it('serves tuple origins only', () => {
    expect(isOpaqueOrigin('null')).toBe(true);
    expect(isOpaqueOrigin('')).toBe(true);
    expect(isOpaqueOrigin('file://')).toBe(true);
    expect(isOpaqueOrigin('https://dapp.example')).toBe(false);
    expect(isOpaqueOrigin('http://127.0.0.1:8080')).toBe(false);
    expect(isOpaqueOrigin('https://dapp.example/path')).toBe(true);
  });
});
