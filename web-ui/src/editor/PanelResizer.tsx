// The handle between the canvas and the side panel: drag it (or use the arrow keys on it) to
// make the panel wider or narrower; the width is kept for the next visit.
import { useEffect, useState, type KeyboardEvent, type PointerEvent } from 'react';

const KEY = 'weft.panelWidth';
const MIN = 320;
const DEFAULT = 380;

/** The widest the panel may be: most of the window, leaving the canvas room. */
function maxWidth(): number {
  return Math.max(MIN, Math.min(900, window.innerWidth - 420));
}

export function clampWidth(width: number, max: number): number {
  return Math.round(Math.min(Math.max(width, MIN), max));
}

function stored(): number {
  const v = Number(window.localStorage.getItem(KEY));
  return Number.isFinite(v) && v > 0 ? clampWidth(v, maxWidth()) : DEFAULT;
}

/** The panel's width, and the handle that changes it. */
export function usePanelWidth(): [number, (w: number) => void] {
  const [width, setWidth] = useState(stored);
  useEffect(() => {
    const onResize = () => setWidth((w) => clampWidth(w, maxWidth()));
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  const set = (w: number) => {
    const next = clampWidth(w, maxWidth());
    setWidth(next);
    window.localStorage.setItem(KEY, String(next));
  };
  return [width, set];
}

export function PanelResizer({ width, onChange }: { width: number; onChange: (w: number) => void }) {
  function onPointerDown(e: PointerEvent<HTMLDivElement>) {
    e.preventDefault();
    const startX = e.clientX;
    const startWidth = width;
    const target = e.currentTarget;
    target.setPointerCapture(e.pointerId);
    const move = (m: globalThis.PointerEvent) => onChange(startWidth + (startX - m.clientX));
    const up = () => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', up);
      target.removeEventListener('pointercancel', up);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', up);
    target.addEventListener('pointercancel', up);
  }
  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const step = e.shiftKey ? 80 : 20;
    if (e.key === 'ArrowLeft') onChange(width + step);
    else if (e.key === 'ArrowRight') onChange(width - step);
    else return;
    e.preventDefault();
  }
  return (
    <div
      className="panel-resizer"
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize the side panel"
      aria-valuenow={width}
      aria-valuemin={MIN}
      tabIndex={0}
      title="Drag to resize the panel (or use ← →)"
      data-testid="panel-resizer"
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
      onDoubleClick={() => onChange(DEFAULT)}
    />
  );
}
