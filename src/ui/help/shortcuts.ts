/** The keyboard shortcuts, as the help panel lists them. */
export const SHORTCUTS: readonly { keys: string; what: string }[] = [
  { keys: 'Ctrl+Z', what: 'Undo' },
  { keys: 'Ctrl+Shift+Z  or  Ctrl+Y', what: 'Redo' },
  { keys: 'Delete  or  Backspace', what: 'Delete the selected nodes and edges' },
  { keys: 'Ctrl+C', what: 'Copy the selected nodes (with the edges between them)' },
  { keys: 'Ctrl+V', what: 'Paste at the pointer' },
  { keys: 'Ctrl+D', what: 'Duplicate the selection' },
  { keys: 'Ctrl+A', what: 'Select every node' },
  { keys: 'Ctrl+G', what: 'Group the selection into a module' },
  { keys: 'Ctrl+Shift+G', what: 'Ungroup the selected module instance' },
  { keys: 'Shift+L', what: 'Lay the graph out automatically' },
  { keys: 'F', what: 'Fit the graph in view' },
  { keys: 'Escape', what: 'Clear the selection; leave a module' },
  { keys: '?', what: 'Show or hide this help' },
];

export const GESTURES: readonly { keys: string; what: string }[] = [
  { keys: 'Drag from a port', what: 'Connect; ports that fit light up, a refused drop says why' },
  { keys: 'Double-click the canvas', what: 'Search for a node kind and add it there' },
  { keys: 'Double-click a block', what: 'Expand it into the primitives it is made of' },
  { keys: 'Double-click a module', what: 'Edit its body (all its instances change)' },
  { keys: 'Shift+drag', what: 'Select with a rectangle' },
  { keys: 'Ctrl+click', what: 'Add to the selection' },
  { keys: 'Drop a file', what: 'Open a graph (.json, or a .png with a graph inside)' },
];
