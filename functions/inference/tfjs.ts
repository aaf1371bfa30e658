/**
 * TF.js as every Beamline module gets it: in production mode, which skips per-op debug checks
 * and TF.js's console banner ("install tfjs-node"): users are told once, in the worker's own
 * log, which backend serves a model. inference/ is the only TF.js user, so the process-wide flag
 * is ours to set, and setting it here (not in one runtime) covers the compiler and the sample
 * models too.
 */
import * as tf from '@tensorflow/tfjs';

tf.env().set('PROD', true);

export { tf };
