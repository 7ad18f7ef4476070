/** The worker's previews: pictures drawn into canvases, text samples as lines. */
import { useEffect, useRef } from 'react';
import type { ImagePreview, TextPreview } from '../../worker/protocol.ts';

/** A test id from a preview id: `grid:sampler` → `preview-grid-sampler`. */
export const previewTestId = (id: string) => `preview-${id.replace(/[^a-zA-Z0-9_-]+/g, '-')}`;

export function ImagePreviewView({ preview }: { preview: ImagePreview }) {
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
