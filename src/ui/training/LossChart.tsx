/**
 * A uPlot line chart of training series; rebuilt when its lines change,
 * otherwise only fed new data. A build (a canvas, fonts measured, the first
 * draw: 30 ms and more on a software-drawn page) runs in a task of its own,
 * after the render that asked for it, so that neither it nor several charts
 * appearing at once make one long task on the main thread.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartData, type Series } from './series.ts';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

/** `sparse`: lines with fewer points than the others (one per preview), drawn with dots and joined across the steps they lack. */
export function LossChart({ series, testId, title, height = 170, sparse = [], children }: { series: Series; testId: string; title: string; height?: number; sparse?: readonly string[]; children?: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | undefined>(undefined);
  const latest = useRef(series);
  latest.current = series;
  const names = series.names.join('\u0000');

  useEffect(() => {
    const target = box.current;
    if (!target || series.names.length === 0) return;
    const build = () => {
      const series = latest.current;
      const options: uPlot.Options = {
        width: Math.max(200, target.clientWidth || 340),
        height,
        legend: { show: true, live: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false } },
        axes: [{ label: 'step', size: 32, labelSize: 14 }, { size: 52 }],
        series: [
          { label: 'step' },
          ...series.names.map((name, i) =>
            sparse.includes(name)
              ? { label: name, stroke: COLORS[i % COLORS.length]!, width: 1.25, dash: [4, 3], spanGaps: true, points: { show: true, size: 5 } }
              : { label: name, stroke: COLORS[i % COLORS.length]!, width: i === 0 ? 2 : 1.25, points: { show: false } },
          ),
        ],
      };
      chart.current = new uPlot(options, chartData(series) as uPlot.AlignedData, target);
    };
    const timer = setTimeout(build, 0);
    return () => {
      clearTimeout(timer);
      chart.current?.destroy();
      chart.current = undefined;
    };
    // Rebuilt only when the set of lines changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [names, height]);

  useEffect(() => {
    chart.current?.setData(chartData(series) as uPlot.AlignedData);
  }, [series]);

  return (
    <section className="train-chart" data-testid={testId} data-points={series.steps.length}>
      <h4>{title}</h4>
      {series.names.length === 0 ? <p className="train-empty">No points yet.</p> : null}
      <div ref={box} className="train-chart-plot" />
      {children}
    </section>
  );
}
