/**
 * Renders a Preact tree of hook-free components into plain element objects, so popup components
 * can be checked for structure (which amount sits in which row) in the unit suite, without a DOM.
 */
import { Fragment, type VNode } from 'preact';

export interface StaticElement {
  tag: string;
  attrs: Record<string, unknown>;
  children: StaticNode[];
}
export type StaticNode = StaticElement | string;

export function renderStatic(node: unknown): StaticNode[] {
  if (node === null || node === undefined || typeof node === 'boolean') return [];
  if (typeof node === 'string' || typeof node === 'number') return [String(node)];
  if (Array.isArray(node)) return node.flatMap(renderStatic);
  const vnode = node as VNode<Record<string, unknown>>;
  const { children, ...attrs } = vnode.props as { children?: unknown };
  if (vnode.type === Fragment) return renderStatic(children);
  if (typeof vnode.type === 'function') {
    return renderStatic((vnode.type as (p: unknown) => unknown)(vnode.props));
  }
  return [{ tag: vnode.type as string, attrs, children: renderStatic(children) }];
}

export function textOf(node: StaticNode): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

/** Every element under `nodes` (depth first) that `match` accepts. */
export function findAll(
  nodes: readonly StaticNode[],
  match: (e: StaticElement) => boolean,
): StaticElement[] {
  return nodes.flatMap((n) =>
    typeof n === 'string' ? [] : [...(match(n) ? [n] : []), ...findAll(n.children, match)],
  );
}
