/** Browser: register TF.js's gradient functions without pulling in the layers and converter packages. */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
