/**
 * Node: TF.js's gradient functions come with the @tensorflow/tfjs bundle.
 * tfjs-core's own registration file is an ES module with extensionless
 * imports, which Node's loader refuses; the bundle registers the same
 * gradients into the global registry the CommonJS core uses.
 */
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
