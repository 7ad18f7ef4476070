/**
 * Which Data params each dataset reads (the inspector shows only those):
 * the table covers every dataset and param, and a param it leaves out
 * changes nothing about the node, so hiding it hides nothing that matters.
 */
import { describe, expect, it } from 'vitest';
import { DATA_PARAMS_BY_DATASET, DATASETS, dataParamApplies, isUserDataset } from '../../src/core/data/datasets.ts';
import { dataNode } from '../../src/core/nodes/data.ts';
import { describeParams } from '../../src/core/nodes/describe.ts';
import { inferNode } from '../helpers.ts';

/** Another valid value for each param (labels has two, for csv-like and image-like datasets). */
const OTHER_VALUES: Record<string, unknown[]> = {
  layout: ['image'],
  range: ['signed'],
  context: [32],
  file: ['other.csv'],
  columns: [5],
  header: ['yes'],
  labels: ['first-column', 'folders'],
  height: [14],
  width: [12],
  channels: [3],
};

const baseParams = (dataset: string) => ({ dataset, ...(isUserDataset(dataset) ? { file: 'data.csv' } : {}) });

describe('the Data params each dataset reads', () => {
  it('lists every dataset, and every param is read by some dataset', () => {
    expect(Object.keys(DATA_PARAMS_BY_DATASET).sort()).toEqual([...DATASETS].sort());
    const schemaParams = describeParams(dataNode).map((d) => d.name).filter((name) => name !== 'dataset');
    expect(Object.keys(OTHER_VALUES).sort()).toEqual([...schemaParams].sort());
    const read = new Set(Object.values(DATA_PARAMS_BY_DATASET).flat());
    expect([...read].sort()).toEqual([...schemaParams].sort());
  });

  it('follows the table: mnist its layout and range, text sets their context, 2D sets nothing, user files their file', () => {
    expect(DATA_PARAMS_BY_DATASET.mnist).toEqual(['layout', 'range']);
    expect(DATA_PARAMS_BY_DATASET['two-moons']).toEqual([]);
    expect(DATA_PARAMS_BY_DATASET.names).toEqual(['context']);
    expect(DATA_PARAMS_BY_DATASET.csv).toEqual(['file', 'columns', 'header', 'labels']);
    expect(DATA_PARAMS_BY_DATASET.images).toEqual(['file', 'height', 'width', 'channels', 'layout', 'range', 'labels']);
    expect(DATA_PARAMS_BY_DATASET.text).toEqual(['file', 'context']);
    expect(dataParamApplies('mnist', 'dataset')).toBe(true);
    expect(dataParamApplies('rings', 'context')).toBe(false);
    // A dataset the table does not know hides nothing.
    expect(dataParamApplies('imagenet', 'context')).toBe(true);
  });

  it('changes nothing about a node when a param its dataset does not read is set', () => {
    for (const dataset of DATASETS) {
      const base = inferNode('Data', baseParams(dataset), {});
      expect(base.codes, dataset).toEqual([]);
      for (const [param, values] of Object.entries(OTHER_VALUES)) {
        if (dataParamApplies(dataset, param)) continue;
        for (const value of values) {
          const changed = inferNode('Data', { ...baseParams(dataset), [param]: value }, {});
          expect({ dataset, param, value, codes: changed.codes, outputs: changed.outputs }).toEqual({ dataset, param, value, codes: base.codes, outputs: base.outputs });
        }
      }
    }
  });

  it('still checks the labels of the datasets that read them', () => {
    expect(inferNode('Data', { dataset: 'csv', file: 'a.csv', labels: 'folders' }, {}).codes).toEqual(['GC107@n']);
    expect(inferNode('Data', { dataset: 'images', file: 'a.zip', labels: 'last-column' }, {}).codes).toEqual(['GC107@n']);
  });
});
