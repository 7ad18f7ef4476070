import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { NODE_DEFINITIONS } from '../core/nodes/registry.ts';

/** The editor shell: a toolbar and the canvas. Editing arrives with the editor's store. */
export function App() {
  return (
    <ReactFlowProvider>
      <div className="app">
        <header className="toolbar">
          <strong>GenComposer</strong>
          <span className="muted">{NODE_DEFINITIONS.length} node kinds</span>
        </header>
        <main className="canvas" data-testid="canvas">
          <ReactFlow nodes={[]} edges={[]} fitView>
            <Background />
            <MiniMap />
            <Controls />
          </ReactFlow>
        </main>
      </div>
    </ReactFlowProvider>
  );
}
