/** Opening a block: what primitives it is made of, and replacing it with them. */
import { useMemo } from 'react';
import { getNodeDefinition } from '../../core/nodes/registry.ts';
import type { Shape } from '../../core/base/shape.ts';
import { useEditor } from '../store/editor-store.ts';
import { useCanvasCommands } from './commands.ts';
import { infosOf, levelOf } from './to-flow.ts';

export function ExpandDialog({ nodeId, onClose }: { nodeId: string; onClose: () => void }) {
  const document = useEditor((s) => s.document);
  const analysis = useEditor((s) => s.analysis);
  const scope = useEditor((s) => s.scope);
  const commands = useCanvasCommands();
  const node = levelOf(document, scope).nodes.find((n) => n.id === nodeId);
  const def = node ? getNodeDefinition(node.kind) : undefined;

  const preview = useMemo(() => {
    if (!node || !def?.expand) return { error: 'This node is not a block.' };
    const parsed = def.params.safeParse(node.params);
    if (!parsed.success) return { error: 'Fix its parameters first.' };
    const inputs: Record<string, Shape> = {};
    for (const [port, value] of Object.entries(infosOf(analysis, scope)?.get(nodeId)?.inputs ?? {})) inputs[port] = value.shape;
    try {
      const expansion = def.expand({ params: parsed.data, inputs });
      const counts = new Map<string, number>();
      for (const n of expansion.nodes) counts.set(n.kind, (counts.get(n.kind) ?? 0) + 1);
      return { nodes: expansion.nodes.length, kinds: [...counts].map(([kind, n]) => (n > 1 ? `${kind} ×${n}` : kind)) };
    } catch {
      return { error: 'Its inputs must be connected (and their shapes known) to see what it is made of.' };
    }
  }, [node, def, analysis, scope, nodeId]);

  if (!node || !def) return null;
  return (
    <div className="dialog-backdrop" onMouseDown={onClose}>
      <div className="dialog" role="dialog" aria-label={`Open ${def.title}`} data-testid="expand-dialog" onMouseDown={(e) => e.stopPropagation()}>
        <h2>
          {def.title} <span className="muted">{node.label ?? node.id}</span>
        </h2>
        <p>{def.description}</p>
        {'error' in preview ? (
          <p className="dialog-warning">{preview.error}</p>
        ) : (
          <p>
            It is made of {preview.nodes} primitive{preview.nodes === 1 ? '' : 's'}: {preview.kinds.join(', ')}. Expanding replaces the block with them so you can edit each one; undo brings the block back.
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            data-testid="expand-block"
            disabled={'error' in preview}
            onClick={() => {
              commands.expand(nodeId);
              onClose();
            }}
          >
            Expand into primitives
          </button>
        </div>
      </div>
    </div>
  );
}
