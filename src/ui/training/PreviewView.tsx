/** The worker's previews: pictures drawn into canvases (a class picker over a conditioned grid), text samples as lines. */
import { useEffect, useRef } from 'react';
import type { ConditionChoice } from '../../core/nodes/sampler-condition.ts';
import { conditionKey, conditionOptions, type ConditionOption } from '../../worker/preview-plan.ts';
import type { ImagePreview, PreviewCondition, TextPreview } from '../../worker/protocol.ts';

/** A test id from a preview id: `grid:sampler` → `preview-grid-sampler`. */
export const previewTestId = (id: string) => `preview-${id.replace(/[^a-zA-Z0-9_-]+/g, '-')}`;

/**
 * The picker's entries: what the grid's classes allow, plus the choice shown
 * when it is none of them (a sampler's own list of labels, say).
 */
export function pickerOptions(condition: PreviewCondition, shown: ConditionChoice): ConditionOption[] {
  const options = conditionOptions(condition);
  const key = conditionKey(shown);
  if (options.some((o) => o.key === key) || shown.kind !== 'values') return options;
  return [...options, { key, label: `labels ${shown.values.join(', ')}`, choice: shown }];
}

function ClassPicker({ condition, requested, onChoose }: { condition: PreviewCondition; requested: ConditionChoice | undefined; onChoose: (sampler: string, choice: ConditionChoice) => void }) {
  const shown = requested ?? condition.choice;
  const options = pickerOptions(condition, shown);
  return (
    <label className="train-condition" title="The labels the samples are asked for: a row per class, one class, or the labels of held-out examples">
      labels
      <select
        value={conditionKey(shown)}
        data-testid={`train-condition-${previewTestId(condition.sampler).slice('preview-'.length)}`}
        onChange={(e) => {
          const option = options.find((o) => o.key === e.currentTarget.value);
          if (option) onChoose(condition.sampler, option.choice);
        }}
      >
        {options.map((o) => (
          <option key={o.key} value={o.key}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function ImagePreviewView({
  preview,
  requestedCondition,
  onCondition,
}: {
  preview: ImagePreview;
  /** A class picker's choice not drawn yet. */
  requestedCondition?: ConditionChoice | undefined;
  onCondition?: (sampler: string, choice: ConditionChoice) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    const context = el?.getContext('2d');
    if (!el || !context) return;
    el.width = preview.width;
    el.height = preview.height;
    context.putImageData(new ImageData(preview.pixels as Uint8ClampedArray<ArrayBuffer>, preview.width, preview.height), 0, 0);
  }, [preview]);
  return (
    <figure className="train-preview">
      <figcaption>{preview.title}</figcaption>
      {preview.condition && onCondition ? <ClassPicker condition={preview.condition} requested={requestedCondition} onChoose={onCondition} /> : null}
      <canvas ref={canvas} data-testid={previewTestId(preview.id)} className="train-preview-canvas" style={{ aspectRatio: `${preview.width} / ${preview.height}` }} />
      {preview.note ? <small>{preview.note}</small> : null}
    </figure>
  );
}

export function TextPreviewView({ preview, onTemperature }: { preview: TextPreview; onTemperature: (t: number) => void }) {
  return (
    <figure className="train-preview">
      <figcaption>{preview.title}</figcaption>
      <label className="train-temperature">
        temperature {preview.temperature.toFixed(2)}
        <input
          type="range"
          min={0.1}
          max={2}
          step={0.05}
          defaultValue={preview.temperature}
          data-testid="train-temperature"
          onChange={(e) => onTemperature(Number(e.currentTarget.value))}
        />
      </label>
      <ol className="train-texts" data-testid={previewTestId(preview.id)}>
        {preview.texts.map((text, i) => (
          <li key={i}>{text || '∅'}</li>
        ))}
      </ol>
    </figure>
  );
}
