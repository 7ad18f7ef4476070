/**
 * Registers TF.js's gradient functions (tfjs-core leaves them out), in the
 * way each environment can load them: see gradients.node.ts and
 * gradients.browser.ts, chosen by package.json's "imports" conditions.
 */
import '#register-gradients';
