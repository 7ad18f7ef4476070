/**
 * Registers TF.js's gradient functions, which tfjs-core leaves out.
 *
 * Order matters in Node: '@tensorflow/tfjs-core' resolves to its CommonJS
 * bundle there, while the gradients file is an ES module with its own copy
 * of the core modules. The engine is global and made by whichever copy comes
 * first, so the CommonJS core must load first; the gradients then register
 * into the shared global registry. (In the browser both are the same ES build.)
 */
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
