/** The node kinds offered to add, grouped and searchable. */
import type { GraphDocument } from '../../core/graph/schema.ts';
import { NODE_DEFINITIONS } from '../../core/nodes/registry.ts';
import { CATEGORY_TITLES, type NodeCategory } from '../../core/nodes/types.ts';

const CATEGORY_ORDER = Object.keys(CATEGORY_TITLES) as NodeCategory[];

export interface CatalogItem {
  /** Unique key: the kind, or `Module:ID` for an instance of a document module. */
  key: string;
  kind: string;
  title: string;
  description: string;
  category: NodeCategory;
  /** Params to add it with (a module instance names its module). */
  params?: Record<string, unknown>;
}

export interface CatalogGroup {
  category: NodeCategory;
  title: string;
  items: CatalogItem[];
}

/** Every kind people add by hand; module items depend on the document and the level being edited. */
export function catalogItems(doc: GraphDocument, scope: string | undefined): CatalogItem[] {
  const items: CatalogItem[] = [];
  for (const def of NODE_DEFINITIONS) {
    if (def.kind === 'Module') continue;
    // Module ports only mean something inside a module body.
    if ((def.kind === 'ModuleInput' || def.kind === 'ModuleOutput') && scope === undefined) continue;
    items.push({ key: def.kind, kind: def.kind, title: def.title, description: def.description, category: def.category });
  }
  for (const mod of doc.modules) {
    if (mod.id === scope) continue;
    items.push({
      key: `Module:${mod.id}`,
      kind: 'Module',
      title: mod.name,
      description: mod.description || `An instance of the module "${mod.name}", sharing its weights with the others.`,
      category: 'module',
      params: { module: mod.id },
    });
  }
  return items;
}

/** Words of a title or kind: "Conv 2D transpose", "LayerNorm" → conv, 2d, transpose, layer, norm. */
function nameWords(item: CatalogItem): string[] {
  return `${item.title} ${item.kind.replace(/([a-z0-9])([A-Z])/g, '$1 $2')}`.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

/**
 * Items matching every word of the query: names whose words start with the
 * query's words first, then names containing them; descriptions only when
 * no name matches (so "att" finds Attention, not Flatten).
 */
export function searchCatalog(items: readonly CatalogItem[], query: string): CatalogItem[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...items];
  const prefix: CatalogItem[] = [];
  const inside: CatalogItem[] = [];
  const described: CatalogItem[] = [];
  for (const item of items) {
    const names = nameWords(item);
    const joined = `${item.title} ${item.kind}`.toLowerCase();
    if (words.every((w) => names.some((n) => n.startsWith(w)) || joined.startsWith(w))) prefix.push(item);
    else if (words.every((w) => joined.includes(w))) inside.push(item);
    else if (words.every((w) => `${joined} ${item.description} ${CATEGORY_TITLES[item.category]}`.toLowerCase().includes(w))) described.push(item);
  }
  const named = [...prefix, ...inside];
  return named.length > 0 ? named : described;
}

export function groupCatalog(items: readonly CatalogItem[]): CatalogGroup[] {
  return CATEGORY_ORDER.map((category) => ({
    category,
    title: CATEGORY_TITLES[category],
    items: items.filter((i) => i.category === category),
  })).filter((g) => g.items.length > 0);
}

export const DRAG_MIME = 'application/x-gencomposer-item';
