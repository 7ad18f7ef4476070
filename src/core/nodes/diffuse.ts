import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { expectRank, input } from './common.ts';
import { SCHEDULE_ALPHA_BAR, scheduleSteps } from './noise-schedule.ts';
import { defineNode } from './types.ts';
import { freshConstants } from './constants.ts';

/**
 * DDPM's forward process q(x_t | x_0) in closed form: every example gets its
 * own uniformly drawn step t and noise eps, and the denoiser learns to find
 * eps again from x_t and t.
 */
export const diffuseNode = defineNode({
  kind: 'Diffuse',
  category: 'layer',
  title: 'Diffuse',
  description: 'Noises each example to a random step t of the schedule: x_t = sqrt(alphaBar_t) x_0 + sqrt(1 − alphaBar_t) eps; outputs x_t, t and eps.',
  params: z.strictObject({}),
  ports: {
    inputs: [{ name: 'x0', type: 'tensor', doc: 'clean data' }, { name: 'schedule', type: 'schedule' }],
    outputs: [
      { name: 'xt', type: 'tensor', doc: 'the noised data' },
      { name: 't', type: 'tokens', doc: 'the step of each example, in [0, steps)' },
      { name: 'noise', type: 'tensor', doc: 'the eps that was added' },
    ],
  },
  infer: ({ inputs }) => {
    const x0 = input(inputs, 'x0');
    expectRank(x0, 'x0', 2, 4, '[B, ...]');
    scheduleSteps(inputs);
    return { xt: x0, t: ['B'], noise: x0 };
  },
  // t and eps are drawn from ctx.random.
  torch: { module: () => ({ class: 'Diffuse', args: {}, context: true }) },
  forward: ({ inputs, random, constants = freshConstants }) =>
    tf.tidy(() => {
      const x0 = inputs.x0!;
      const schedule = inputs.schedule!;
      const steps = schedule.shape[0]!;
      const batch = x0.shape[0]!;
      const t = random.integers([batch], steps);
      const noise = random.normal(x0.shape);
      const alphaBars = tf.reshape(tf.slice(schedule, [0, SCHEDULE_ALPHA_BAR], [steps, 1]), [steps]);
      // One coefficient per example, broadcast over its other axes.
      const alphaBar = tf.reshape(tf.gather(alphaBars, t), [batch, ...new Array<number>(x0.rank - 1).fill(1)]);
      const xt = tf.add(tf.mul(tf.sqrt(alphaBar), x0), tf.mul(tf.sqrt(tf.sub(constants.scalar(1), alphaBar)), noise));
      return { xt, t, noise };
    }),
});
