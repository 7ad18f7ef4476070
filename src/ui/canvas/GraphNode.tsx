/**
 * One node on the canvas: title, label, typed ports with their inferred
 * shapes, the key params, the parameter count and any problems.
 */
import { Handle, Position, useConnection, useUpdateNodeInternals, type ConnectionState, type InternalNode, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useRef } from 'react';
import type { PortType } from '../../core/nodes/types.ts';
import { formatCount, handleId, type FlowNode, type NodeView, type PortView } from './to-flow.ts';

/** While a connection is being dragged: which node, from which side, of which type ('' when none). */
function connectingKey(c: ConnectionState<InternalNode<FlowNode>>): string {
  if (!c.inProgress) return '';
  const side = c.fromHandle.type === 'source' ? 'out' : 'in';
  const data: NodeView = c.fromNode.data;
  const ports = side === 'out' ? data.outputs : data.inputs;
  const name = c.fromHandle.id?.replace(/^(in|out)-/, '');
  const type = ports.find((p) => p.name === name)?.type ?? '';
  return `${c.fromNode.id}\u0000${side}\u0000${type}`;
}

function Port({ node, port, side, connecting }: { node: string; port: PortView; side: 'in' | 'out'; connecting: { node: string; side: string; type: string } | undefined }) {
  let state = '';
  if (connecting) {
    // Valid targets: the other side of another node, same type.
    const target = connecting.node !== node && connecting.side !== side && connecting.type === port.type;
    state = target ? ' port-valid' : ' port-dim';
  }
  const title = `${port.name}: ${port.type}${port.shape ? ` ${port.shape}` : ''}${port.optional ? ' (optional)' : ''}${port.doc ? ` — ${port.doc}` : ''}`;
  return (
    <div className={`gn-port gn-port-${side}${port.problem ? ` port-${port.problem}` : ''}${state}`} title={title}>
      <Handle
        type={side === 'in' ? 'target' : 'source'}
        position={side === 'in' ? Position.Left : Position.Right}
        id={handleId(side, port.name)}
        className={`gn-handle type-${port.type}${port.connected ? ' connected' : ''}`}
        data-testid={`port-${node}-${side}-${port.name}`}
      />
      <span className="gn-port-name">
        {port.name}
        {port.optional ? <span className="gn-optional">?</span> : null}
      </span>
      <span className="gn-port-shape" data-testid={`shape-${node}-${side}-${port.name}`}>
        {port.shape ?? '—'}
      </span>
    </div>
  );
}

export const TYPE_LABELS: Record<PortType, string> = { tensor: 'tensor', tokens: 'tokens', schedule: 'schedule', loss: 'loss' };

export const GraphNode = memo(function GraphNode({ id, data, selected }: NodeProps<FlowNode>) {
  const key = useConnection<FlowNode, string>(connectingKey);
  const [fromNode, fromSide, fromType] = key ? key.split('\u0000') : [];
  const connecting = key ? { node: fromNode!, side: fromSide!, type: fromType! } : undefined;

  // Handles move when ports change; React Flow must measure them again. Not on mount: React Flow measures a new
  // node itself, and a call from each of 300 nodes opening was 300 store updates, each re-running every node's hooks.
  const updateInternals = useUpdateNodeInternals();
  const portsKey = [...data.inputs.map((p) => `i${p.name}`), ...data.outputs.map((p) => `o${p.name}`), data.collapsed ? 'card' : 'full'].join(',');
  const measuredPorts = useRef(portsKey);
  useEffect(() => {
    if (measuredPorts.current === portsKey) return;
    measuredPorts.current = portsKey;
    updateInternals(id);
  }, [id, portsKey, updateInternals]);

  const shown = data.diagnostics.slice(0, 2);
  const more = data.diagnostics.length - shown.length;
  const classes = ['gn', `cat-${data.category}`, data.severity ? `gn-${data.severity}` : '', selected ? 'gn-selected' : '', data.collapsed ? 'gn-collapsed' : ''].filter(Boolean).join(' ');
  return (
    <div className={classes} data-testid={`node-${id}`} data-kind={data.kind} data-collapsed={data.collapsed || undefined}>
      <div className="gn-head">
        <span className="gn-title">{data.title}</span>
        <span className="gn-name" title={data.label ? `${data.label} (${id})` : id}>
          {data.label ?? id}
        </span>
      </div>
      {data.module ? (
        <div className="gn-module" data-testid={`module-badge-${id}`}>
          <span className="gn-module-name">{data.module.name}</span>
          {data.module.instances > 1 ? <span className="gn-shared">×{data.module.instances} shared</span> : null}
        </div>
      ) : null}
      {data.tie ? (
        <div className="gn-module" data-testid={`tie-badge-${id}`}>
          {'uses' in data.tie ? (
            <>
              <span className="gn-module-name" title={`Uses the ${data.tie.variable} of "${data.tie.uses}" as its own: one variable, trained by both`}>
                {data.tie.uses}.{data.tie.variable}
              </span>
              <span className="gn-shared">tied</span>
            </>
          ) : (
            <span className="gn-shared" title={`Its ${data.tie.variable} is also used by ${data.tie.sharedBy} tied node${data.tie.sharedBy > 1 ? 's' : ''}`}>
              {data.tie.variable} ×{data.tie.sharedBy + 1} shared
            </span>
          )}
        </div>
      ) : null}
      {data.summary ? (
        <div className="gn-summary" title={data.summary}>
          {data.summary}
        </div>
      ) : null}
      {data.inputs.length + data.outputs.length > 0 ? (
        <div className="gn-ports">
          {data.inputs.map((p) => (
            <Port key={`in-${p.name}`} node={id} port={p} side="in" connecting={connecting} />
          ))}
          {data.outputs.map((p) => (
            <Port key={`out-${p.name}`} node={id} port={p} side="out" connecting={connecting} />
          ))}
        </div>
      ) : null}
      {data.paramCount > 0 || data.module?.problems || data.expandable ? (
        <div className="gn-foot">
          {data.paramCount > 0 ? <span title={`${data.paramCount.toLocaleString('en-US')} trainable parameters`}>{formatCount(data.paramCount)} params</span> : <span />}
          {data.module?.problems ? <span className="gn-inside-problems">{data.module.problems} inside</span> : null}
          {data.expandable && !data.module ? <span className="gn-hint" title="Double-click to open its primitives">block</span> : null}
        </div>
      ) : null}
      {shown.length > 0 ? (
        <div className="gn-problems" data-testid={`node-problems-${id}`}>
          {shown.map((d, i) => (
            <div key={i} className={`gn-problem gn-problem-${d.severity}`} title={`${d.code}: ${d.message}`}>
              {d.message}
            </div>
          ))}
          {more > 0 ? <div className="gn-problem-more">+{more} more</div> : null}
        </div>
      ) : null}
    </div>
  );
});

export const NODE_TYPES = { graph: GraphNode };
